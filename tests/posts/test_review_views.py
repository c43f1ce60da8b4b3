"""The approval pages (posts/views_review.py): per role, per agency, and each POST action."""

from __future__ import annotations

import html as html_lib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import platform_account_connect
from posts import workflow
from posts.checks import content_hash
from posts.models import PostStatus, PostTarget, Review, ReviewDecision, TargetStatus
from posts.policy import Finding
from posts.services import post_create, post_update
from posts.views_review import highlight, word_diff

CLEAN = "The A34 is open again after this morning's crash."
LEAKY = "Witnesses <b>please</b> write to jane.doe@example.com with what you saw."


def draft(cast, body=CLEAN, author=None, **kwargs):
    return post_create(agency=cast.agency, author=author or cast.officer, body=body, **kwargs)


def submitted(cast, body=CLEAN, author=None, **kwargs):
    post = draft(cast, body=body, author=author, **kwargs)
    override = "Checked." if body == LEAKY else ""
    workflow.post_submit(
        post=post, by=cast.admin if override else post.author, override_reason=override
    )
    post.refresh_from_db()
    return post


def connect(cast):
    return platform_account_connect(
        agency=cast.agency,
        by=None,
        platform="x",
        handle="@alpha",
        external_id="1700000000000000001",
        credentials={"access_token": "t"},
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def followed(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    """The page with entities decoded, to look for text containing quotes."""
    return html_lib.unescape(response.content.decode())


# --- The queue ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_see_the_queue_with_due_times_in_the_agency_zone(cast, login, role):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save()
    at = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=10)
    post = submitted(cast, scheduled_at=at)
    html = followed(login(cast.by_role(role)).get(reverse("posts:review_queue")))
    assert reverse("posts:review", args=[post.pk]) in html
    assert timezone.localtime(at, cast.agency.tzinfo).strftime("%Y-%m-%d %H:%M KST") in html
    assert "Late: will miss its time" in html


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ANALYST])
def test_officers_and_analysts_cannot_open_the_queue(cast, login, role):
    assert login(cast.by_role(role)).get(reverse("posts:review_queue")).status_code == 403


def test_the_queue_shows_only_this_agencys_posts(cast, other, login):
    mine = submitted(cast, body="Ours")
    theirs = submitted(other, body="Theirs")
    html = followed(login(cast.supervisor).get(reverse("posts:review_queue")))
    assert reverse("posts:review", args=[mine.pk]) in html
    assert reverse("posts:review", args=[theirs.pk]) not in html


def test_the_queue_makes_the_same_number_of_queries_for_more_posts(cast, login):
    client = login(cast.supervisor)
    submitted(cast)
    client.get(reverse("posts:review_queue"))  # warm up the session and the content types
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("posts:review_queue"))
    for _ in range(5):
        submitted(cast)
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("posts:review_queue"))
    assert len(six) == len(one)


# --- The review page ----------------------------------------------------------------------------


def test_review_page_highlights_findings_escaped_and_lists_them(cast, login):
    post = submitted(cast, body=LEAKY)
    html = followed(login(cast.supervisor).get(reverse("posts:review", args=[post.pk])))
    assert "&lt;b&gt;please&lt;/b&gt;" in html and "<b>please</b>" not in html
    assert '<mark class="finding-block"' in html and ">jane.doe@example.com</mark>" in html
    assert "Reason to override the blocking findings" in html
    assert "Override and approve" in html


def test_review_page_shows_the_post_its_accounts_and_earlier_reviews(cast, login):
    account = connect(cast)
    post = submitted(cast, scheduled_at=timezone.now() + timedelta(days=1))
    post.platform_texts = {"x": "Short X text"}
    post.save(update_fields=["platform_texts"])
    post.accounts.set([account])
    Review.objects.create(
        agency=cast.agency,
        post=post,
        reviewer=cast.admin,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Earlier round",
        annotations=[{"start": 0, "end": 7, "text": "which road?", "quote": "The A34"}],
        content_hash="x",
        superseded=True,
    )
    html = text_of(login(cast.supervisor).get(reverse("posts:review", args=[post.pk])))
    for expected in (
        CLEAN,
        "Short X text",
        "@alpha",
        "Earlier round",
        "which road?",
        "no longer counts",
    ):
        assert expected in html


def test_review_page_shows_the_changes_since_the_last_approved_version(cast, login):
    post = submitted(cast, body="The A34 is closed after this morning's crash.")
    workflow.post_approve(post=post, by=cast.supervisor)
    # The editor's save sends the approved post back to review (posts.services.post_update).
    post_update(post=post, by=cast.officer, body=CLEAN)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    html = followed(login(cast.admin).get(reverse("posts:review", args=[post.pk])))
    assert "Changes since the approved version (revision 1)" in html
    assert "<del>closed</del><ins>open again</ins>" in html


def test_review_page_of_another_agencys_post_is_404(cast, other, login):
    post = submitted(cast)
    assert login(other.supervisor).get(reverse("posts:review", args=[post.pk])).status_code == 404


def test_review_page_is_for_supervisors(cast, login):
    post = submitted(cast)
    assert login(cast.officer).get(reverse("posts:review", args=[post.pk])).status_code == 403


def test_own_post_shows_no_decision_forms(cast, login):
    post = submitted(cast, author=cast.supervisor)
    html = followed(login(cast.supervisor).get(reverse("posts:review", args=[post.pk])))
    assert "This is your own post" in html
    assert reverse("posts:approve", args=[post.pk]) not in html


# --- Decisions ----------------------------------------------------------------------------------


def test_supervisor_approves_and_returns_to_the_queue_with_a_message(cast, login):
    post = submitted(cast)
    response = login(cast.supervisor).post(
        reverse("posts:approve", args=[post.pk]), {"comment": "Fine"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("posts:review_queue")
    assert "Approved. It can now be scheduled." in messages_of(response)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED and post.approved_hash == content_hash(post)


def test_approval_with_a_time_in_the_agency_zone_schedules_the_post(cast, login):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save()
    post = submitted(cast)
    post.accounts.set([connect(cast)])
    local = (timezone.now() + timedelta(days=1)).astimezone(cast.agency.tzinfo)
    local = local.replace(second=0, microsecond=0)
    response = login(cast.supervisor).post(
        reverse("posts:approve", args=[post.pk]),
        {"publish_at": local.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert any(m.startswith("Approved and scheduled for") for m in messages_of(response))
    assert PostTarget.objects.get(post=post).due_at == local


def test_approval_without_accounts_says_to_pick_them(cast, login):
    post = submitted(cast, scheduled_at=timezone.now() + timedelta(hours=2))
    response = login(cast.supervisor).post(reverse("posts:approve", args=[post.pk]), follow=True)
    assert any("no accounts to publish to" in m for m in messages_of(response))
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_approving_a_blocking_finding_needs_a_reason_on_the_form(cast, login):
    post = submitted(cast, body=LEAKY)
    client = login(cast.supervisor)
    response = client.post(reverse("posts:approve", args=[post.pk]), {"override_reason": ""})
    assert response.status_code == 400
    assert "give a reason to approve it anyway" in followed(response)
    client.post(reverse("posts:approve", args=[post.pk]), {"override_reason": "Tip line."})
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert Review.objects.filter(decision=ReviewDecision.OVERRIDE, comment="Tip line.").exists()


def test_approving_your_own_post_is_refused_with_a_message(cast, login):
    post = submitted(cast, author=cast.supervisor)
    response = login(cast.supervisor).post(reverse("posts:approve", args=[post.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("posts:review", args=[post.pk])
    assert any("Nobody reviews their own post" in m for m in messages_of(response))
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ANALYST])
def test_officers_and_analysts_cannot_approve(cast, login, role):
    post = submitted(cast, author=cast.admin)
    response = login(cast.by_role(role)).post(reverse("posts:approve", args=[post.pk]))
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_another_agencys_supervisor_gets_404_on_every_action(cast, other, login):
    post = submitted(cast)
    client = login(other.supervisor)
    for name in ("approve", "request_changes", "reject", "submit", "cancel", "reschedule"):
        assert client.post(reverse(f"posts:{name}", args=[post.pk])).status_code == 404, name
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_request_changes_with_comments_on_quoted_words(cast, login):
    post = submitted(cast)
    response = login(cast.supervisor).post(
        reverse("posts:request_changes", args=[post.pk]),
        {
            "comment": "Almost.",
            "excerpt": ["this morning's crash", ""],
            "note": ["Which junction?", ""],
        },
        follow=True,
    )
    assert "Sent back to the author with your comments." in messages_of(response)
    review = Review.objects.get(post=post)
    start = CLEAN.index("this morning's crash")
    assert (review.annotations[0]["start"], review.annotations[0]["end"]) == (
        start,
        start + len("this morning's crash"),
    )
    post.refresh_from_db()
    assert post.status == PostStatus.CHANGES_REQUESTED


def test_request_changes_with_words_not_in_the_text_is_shown_again(cast, login):
    post = submitted(cast)
    response = login(cast.supervisor).post(
        reverse("posts:request_changes", args=[post.pk]),
        {"comment": "", "excerpt": ["motorway"], "note": ["Which?"]},
    )
    assert response.status_code == 400
    html = followed(response)
    assert "is not in the text of the post" in html and 'value="motorway"' in html
    assert not Review.objects.exists()


def test_reject_needs_a_reason_then_redirects(cast, login):
    post = submitted(cast)
    client = login(cast.supervisor)
    assert client.post(reverse("posts:reject", args=[post.pk]), {"comment": ""}).status_code == 400
    response = client.post(
        reverse("posts:reject", args=[post.pk]), {"comment": "Not ours to publish"}, follow=True
    )
    assert "Rejected. The author has been told why." in messages_of(response)
    post.refresh_from_db()
    assert post.status == PostStatus.REJECTED


# --- Submit, cancel, reschedule -----------------------------------------------------------------


def test_officer_submits_and_is_sent_back_to_the_post(cast, login):
    post = draft(cast)
    response = login(cast.officer).post(reverse("posts:submit", args=[post.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "posts:detail", args=[post.pk]
    )
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_submit_follows_a_safe_next_only(cast, login):
    client = login(cast.officer)
    post = draft(cast)
    response = client.post(reverse("posts:submit", args=[post.pk]), {"next": "/posts/"})
    assert response["Location"] == "/posts/"
    other_post = draft(cast)
    response = client.post(
        reverse("posts:submit", args=[other_post.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("posts:detail", args=[other_post.pk])


def test_officer_submitting_a_blocking_finding_is_told_which(cast, login):
    post = draft(cast, body=LEAKY)
    response = login(cast.officer).post(reverse("posts:submit", args=[post.pk]), follow=True)
    assert any("jane.doe@example.com" in m for m in messages_of(response))
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_supervisor_overrides_when_submitting(cast, login):
    post = draft(cast, body=LEAKY)
    login(cast.supervisor).post(
        reverse("posts:submit", args=[post.pk]), {"override_reason": "It is our tip inbox."}
    )
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert Review.objects.get(post=post).decision == ReviewDecision.OVERRIDE


def test_analyst_cannot_submit_and_get_is_not_allowed(cast, login):
    post = draft(cast)
    assert login(cast.analyst).post(reverse("posts:submit", args=[post.pk])).status_code == 403
    assert login(cast.officer).get(reverse("posts:submit", args=[post.pk])).status_code == 405


def _scheduled(cast):
    post = submitted(cast)
    post.accounts.set([connect(cast)])
    workflow.post_approve(
        post=post, by=cast.supervisor, publish_at=timezone.now() + timedelta(hours=3)
    )
    post.refresh_from_db()
    return post


def test_cancel_asks_for_confirmation_then_cancels(cast, login):
    post = _scheduled(cast)
    client = login(cast.officer)
    page = client.get(reverse("posts:cancel", args=[post.pk]))
    assert page.status_code == 200
    html = text_of(page)
    assert "Cancel the post" in html and 'name="reason"' in html and CLEAN in html
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    response = client.post(
        reverse("posts:cancel", args=[post.pk]), {"reason": "Called off"}, follow=True
    )
    assert "Cancelled. Nothing of it will be published." in messages_of(response)
    post.refresh_from_db()
    assert post.status == PostStatus.CANCELLED
    assert PostTarget.objects.get(post=post).status == TargetStatus.CANCELLED


def test_cancel_is_refused_with_a_message_once_publishing(cast, login):
    post = _scheduled(cast)
    PostTarget.objects.update(status=TargetStatus.PUBLISHING)
    response = login(cast.officer).post(reverse("posts:cancel", args=[post.pk]), follow=True)
    assert any("can no longer be cancelled" in m for m in messages_of(response))
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED


def test_cancel_page_of_a_draft_redirects_with_a_message(cast, login):
    post = draft(cast)
    response = login(cast.officer).get(reverse("posts:cancel", args=[post.pk]), follow=True)
    assert "Only an approved or scheduled post can be cancelled." in messages_of(response)


def test_analyst_cannot_cancel(cast, login):
    post = _scheduled(cast)
    assert login(cast.analyst).get(reverse("posts:cancel", args=[post.pk])).status_code == 403


def test_reschedule_reads_the_time_in_the_agency_zone(cast, login):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save()
    post = _scheduled(cast)
    local = (timezone.now() + timedelta(days=2)).astimezone(cast.agency.tzinfo)
    local = local.replace(second=0, microsecond=0)
    response = login(cast.officer).post(
        reverse("posts:reschedule", args=[post.pk]),
        {"at": local.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert any(m.startswith("Moved to") and "KST" in m for m in messages_of(response))
    post.refresh_from_db()
    assert post.scheduled_at == local and post.status == PostStatus.SCHEDULED
    assert PostTarget.objects.get(post=post).due_at == local


def test_reschedule_to_a_past_time_is_refused_with_a_message(cast, login):
    post = draft(cast)
    past = (timezone.localtime(timezone.now(), cast.agency.tzinfo) - timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = login(cast.officer).post(
        reverse("posts:reschedule", args=[post.pk]), {"at": past}, follow=True
    )
    assert any("That time has passed" in m for m in messages_of(response))
    post.refresh_from_db()
    assert post.scheduled_at is None


# --- Rendering helpers --------------------------------------------------------------------------


def _finding(start, end, severity="warn", message="m"):
    return Finding(
        rule="r", kind="k", severity=severity, start=start, end=end, message=message, excerpt=""
    )


def test_highlight_escapes_and_merges_overlapping_findings():
    text = "a <i>07700 900123</i>\nb"
    html = highlight(text, [_finding(5, 17, "block", "phone"), _finding(11, 20, "warn", "x")])
    assert html == (
        'a &lt;i&gt;<mark class="finding-block" title="phone · x">07700 900123&lt;/i</mark>'
        "&gt;<br>\nb"
    )
    # A missing required term (start == end == 0) marks nothing.
    assert highlight("abc", [_finding(0, 0)]) == "abc"


def test_word_diff_marks_removed_and_added_words_escaped():
    assert word_diff("a <b> c", "a <b> d") == "a &lt;b&gt; <del>c</del><ins>d</ins>"
