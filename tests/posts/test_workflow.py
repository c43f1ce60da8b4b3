"""The approval workflow services (posts/workflow.py): every transition and every refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import AuditEvent, Notification, Role
from accounts.services import membership_add, platform_account_connect
from campaigns.models import Campaign
from posts import tasks, workflow
from posts.checks import content_hash
from posts.models import (
    ApprovalSettings,
    PostStatus,
    PostStyle,
    PostTarget,
    Review,
    ReviewDecision,
    TargetStatus,
)
from posts.services import post_create, post_update
from posts.workflow import WorkflowError
from tests.factories import UserFactory

CLEAN = "The A34 is open again after this morning's crash. Thank you for your patience."
LEAKY = "Witnesses, please write to jane.doe@example.com with what you saw."


def draft(cast, body=CLEAN, author=None, **kwargs):
    return post_create(agency=cast.agency, author=author or cast.officer, body=body, **kwargs)


def submitted(cast, body=CLEAN, author=None, **kwargs):
    post = draft(cast, body=body, author=author, **kwargs)
    workflow.post_submit(post=post, by=author or cast.officer)
    post.refresh_from_db()
    return post


def second_supervisor(cast):
    user = UserFactory(email="supervisor2@alpha.test")
    membership_add(agency=cast.agency, user=user, role=Role.SUPERVISOR, by=None)
    return user


def connect(cast, n=1):
    return [
        platform_account_connect(
            agency=cast.agency,
            by=None,
            platform="x",
            handle=f"@alpha{i}",
            external_id=f"17000000000000000{i}",
            credentials={"access_token": f"t{i}"},
        )
        for i in range(n)
    ]


def actions(post):
    return list(
        AuditEvent.objects.filter(target_type="posts.post", target_id=str(post.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def notified(user):
    return list(Notification.objects.filter(user=user).values_list("message", flat=True))


def scheduled_post(cast, accounts, at=None):
    """An approved post scheduled to `accounts` (targets pending)."""
    post = submitted(cast)
    post.accounts.set(accounts)
    at = at or timezone.now() + timedelta(hours=2)
    workflow.post_approve(post=post, by=cast.supervisor, publish_at=at)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    return post


# --- Submit -------------------------------------------------------------------------------------


def test_officer_submits_a_draft_and_the_supervisors_are_told(cast):
    post = draft(cast)
    workflow.post_submit(post=post, by=cast.officer)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert len(notified(cast.supervisor)) == 1 and len(notified(cast.admin)) == 1
    assert notified(cast.officer) == [] and notified(cast.analyst) == []
    assert actions(post)[-1] == "posts.post.submitted"


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_may_submit_their_agencys_posts(cast, role):
    post = draft(cast)
    workflow.post_submit(post=post, by=cast.by_role(role))
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_analyst_cannot_submit(cast):
    post = draft(cast)
    with pytest.raises(WorkflowError, match="Only press officers"):
        workflow.post_submit(post=post, by=cast.analyst)
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_member_of_another_agency_cannot_submit(cast, other):
    post = draft(cast)
    with pytest.raises(WorkflowError, match="not a member of this post's agency"):
        workflow.post_submit(post=post, by=other.officer)


@pytest.mark.parametrize(
    "status", [PostStatus.IN_REVIEW, PostStatus.APPROVED, PostStatus.REJECTED, PostStatus.CANCELLED]
)
def test_only_a_draft_or_a_post_sent_back_can_be_submitted(cast, status):
    post = draft(cast, status=status)
    with pytest.raises(WorkflowError, match="Only a draft or a post sent back"):
        workflow.post_submit(post=post, by=cast.officer)


def test_blocking_finding_stops_an_officers_submission_and_lists_the_findings(cast):
    post = draft(cast, body=LEAKY)
    with pytest.raises(WorkflowError) as caught:
        workflow.post_submit(post=post, by=cast.officer)
    assert "jane.doe@example.com" in caught.value.message
    assert "ask a supervisor to override" in caught.value.message
    assert [f.excerpt for f in caught.value.findings] == ["jane.doe@example.com"]
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert notified(cast.supervisor) == []


def test_officer_cannot_override_a_finding(cast):
    post = draft(cast, body=LEAKY)
    with pytest.raises(WorkflowError, match="Only a supervisor or an agency admin may override"):
        workflow.post_submit(post=post, by=cast.officer, override_reason="It is the tip line.")


def test_supervisor_needs_a_written_reason_to_override(cast):
    post = draft(cast, body=LEAKY)
    with pytest.raises(WorkflowError, match="give a written reason"):
        workflow.post_submit(post=post, by=cast.supervisor, override_reason="   ")


def test_supervisor_overrides_a_blocking_finding_with_a_reason_that_is_audited(cast):
    post = draft(cast, body=LEAKY)
    workflow.post_submit(post=post, by=cast.supervisor, override_reason="The appeal's own inbox.")
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    override = Review.objects.get(post=post)
    assert override.decision == ReviewDecision.OVERRIDE
    assert override.comment == "The appeal's own inbox."
    assert override.content_hash == content_hash(post)
    event = AuditEvent.objects.get(action="posts.review.override")
    assert event.data["reason"] == "The appeal's own inbox."
    assert event.data["findings"][0]["excerpt"] == "jane.doe@example.com"
    assert actions(post)[-2:] == ["posts.review.override", "posts.post.submitted"]


def test_empty_post_cannot_be_submitted(cast):
    post = draft(cast, body="   ")
    with pytest.raises(WorkflowError, match="Write the post"):
        workflow.post_submit(post=post, by=cast.officer)


# --- Approve ------------------------------------------------------------------------------------


def test_supervisor_approves_the_exact_content_and_the_author_is_told(cast):
    post = submitted(cast)
    outcome = workflow.post_approve(post=post, by=cast.supervisor, comment="Good.")
    post.refresh_from_db()
    assert outcome.approved and outcome.scheduled_at is None and not outcome.needs_accounts
    assert post.status == PostStatus.APPROVED
    assert post.approved_hash == content_hash(post)
    review = Review.objects.get(post=post, decision=ReviewDecision.APPROVED)
    assert review.content_hash == post.approved_hash and review.comment == "Good."
    assert any("approved" in m for m in notified(cast.officer))
    event = AuditEvent.objects.get(action="posts.review.approved")
    assert event.data["post_approved"] is True and event.data["required"] == 1


def test_admin_may_approve(cast):
    post = submitted(cast)
    workflow.post_approve(post=post, by=cast.admin)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_nobody_approves_their_own_post(cast, role):
    author = cast.by_role(role)
    post = submitted(cast, author=author)
    with pytest.raises(WorkflowError, match="Nobody reviews their own post"):
        workflow.post_approve(post=post, by=author)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert not Review.objects.filter(post=post).exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ANALYST])
def test_officers_and_analysts_cannot_approve(cast, role):
    post = submitted(cast, author=cast.admin)
    with pytest.raises(WorkflowError, match="Only a supervisor or an agency admin may review"):
        workflow.post_approve(post=post, by=cast.by_role(role))


def test_supervisor_of_another_agency_cannot_approve(cast, other):
    post = submitted(cast)
    with pytest.raises(WorkflowError, match="not a member of this post's agency"):
        workflow.post_approve(post=post, by=other.supervisor)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


@pytest.mark.parametrize(
    "status", [PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED, PostStatus.APPROVED]
)
def test_only_a_post_in_review_can_be_approved(cast, status):
    post = draft(cast, status=status)
    with pytest.raises(WorkflowError, match="Only a post in review can be approved"):
        workflow.post_approve(post=post, by=cast.supervisor)


def test_approving_a_blocking_finding_needs_an_override_reason_in_the_same_action(cast):
    post = draft(cast, body=LEAKY)
    workflow.post_submit(post=post, by=cast.admin, override_reason="Our appeal inbox.")
    with pytest.raises(WorkflowError, match="give a written reason"):
        workflow.post_approve(post=post, by=cast.supervisor)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    workflow.post_approve(post=post, by=cast.supervisor, override_reason="Checked with CID.")
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    overrides = Review.objects.filter(post=post, decision=ReviewDecision.OVERRIDE)
    assert sorted(overrides.values_list("comment", flat=True)) == [
        "Checked with CID.",
        "Our appeal inbox.",
    ]
    assert AuditEvent.objects.filter(action="posts.review.override").count() == 2


def test_one_approval_suffices_for_a_warning_without_approval_settings(cast):
    assert not ApprovalSettings.objects.exists()
    post = submitted(cast, style=PostStyle.WARNING)
    assert workflow.post_approve(post=post, by=cast.supervisor).approved


def test_warnings_need_two_approvals_from_two_supervisors(cast):
    ApprovalSettings.objects.create(agency=cast.agency, two_approvals_for_warnings=True)
    post = submitted(cast, style=PostStyle.WARNING)
    first = workflow.post_approve(post=post, by=cast.supervisor)
    post.refresh_from_db()
    assert (first.approvals, first.required, first.approved) == (1, 2, False)
    assert post.status == PostStatus.IN_REVIEW and post.approved_hash == ""
    assert any("second approval" in m for m in notified(cast.admin))
    with pytest.raises(WorkflowError, match="You already approved this post"):
        workflow.post_approve(post=post, by=cast.supervisor)
    second = workflow.post_approve(post=post, by=second_supervisor(cast))
    post.refresh_from_db()
    assert (second.approvals, second.approved) == (2, True)
    assert post.status == PostStatus.APPROVED and post.approved_hash == content_hash(post)


def test_campaign_posts_need_two_approvals_when_the_agency_says_so(cast):
    ApprovalSettings.objects.create(agency=cast.agency, two_approvals_for_campaigns=True)
    campaign = Campaign.objects.create(
        agency=cast.agency,
        name="Safe roads",
        hashtags="#SafeRoads",
        starts_on=date(2024, 1, 1),
        ends_on=date(2099, 1, 1),
    )
    post = submitted(cast, body=CLEAN + " #SafeRoads", campaign=campaign)
    assert not workflow.post_approve(post=post, by=cast.supervisor).approved
    assert workflow.post_approve(post=post, by=cast.admin).approved
    # A warning is not a campaign post: one approval still does.
    warning = submitted(cast, style=PostStyle.WARNING)
    assert workflow.post_approve(post=warning, by=cast.supervisor).approved


def test_an_approval_of_earlier_content_does_not_count_towards_the_second(cast):
    ApprovalSettings.objects.create(agency=cast.agency, two_approvals_for_warnings=True)
    post = submitted(cast, style=PostStyle.WARNING)
    workflow.post_approve(post=post, by=cast.supervisor)
    post.body = CLEAN + " Updated."
    post.save(update_fields=["body"])
    outcome = workflow.post_approve(post=post, by=cast.admin)
    assert (outcome.approvals, outcome.approved) == (1, False)
    assert Review.objects.get(reviewer=cast.supervisor).superseded


def test_approval_schedules_a_post_that_has_a_time_and_accounts(cast):
    accounts = connect(cast, 2)
    at = timezone.now() + timedelta(hours=3)
    post = submitted(cast, scheduled_at=at)
    post.accounts.set(accounts)
    outcome = workflow.post_approve(post=post, by=cast.supervisor)
    post.refresh_from_db()
    assert outcome.scheduled_at == at
    assert post.status == PostStatus.SCHEDULED
    assert sorted(t.account_id for t in PostTarget.objects.filter(post=post, due_at=at)) == sorted(
        a.pk for a in accounts
    )
    trail = actions(post)
    assert trail.index("posts.review.approved") < trail.index("posts.post.scheduled")


def test_publish_at_from_the_approval_form_wins_over_the_posts_time(cast):
    accounts = connect(cast)
    post = submitted(cast, scheduled_at=timezone.now() + timedelta(days=2))
    post.accounts.set(accounts)
    at = timezone.now() + timedelta(hours=1)
    workflow.post_approve(post=post, by=cast.supervisor, publish_at=at)
    post.refresh_from_db()
    assert post.scheduled_at == at
    assert PostTarget.objects.get(post=post).due_at == at


def test_approval_without_accounts_succeeds_and_stays_approved(cast):
    at = timezone.now() + timedelta(hours=1)
    post = submitted(cast)
    outcome = workflow.post_approve(post=post, by=cast.supervisor, publish_at=at)
    post.refresh_from_db()
    assert outcome.approved and outcome.needs_accounts and outcome.scheduled_at is None
    assert post.status == PostStatus.APPROVED and post.scheduled_at == at
    assert not PostTarget.objects.exists()


def test_a_post_whose_time_passed_in_review_goes_out_at_once_when_approved(cast):
    accounts = connect(cast)
    post = submitted(cast, scheduled_at=timezone.now() - timedelta(minutes=5))
    post.accounts.set(accounts)
    before = timezone.now()
    outcome = workflow.post_approve(post=post, by=cast.supervisor)
    assert outcome.scheduled_at >= before
    assert PostTarget.objects.get(post=post).next_attempt_at >= before


# --- Request changes, resubmit, reject ----------------------------------------------------------


def test_supervisor_requests_changes_with_comments_on_the_text(cast):
    post = submitted(cast)
    annotations = workflow.annotations_from_excerpts(
        post.body, [("“this morning's crash”", "Say which junction."), ("", "")]
    )
    review = workflow.post_request_changes(
        post=post, by=cast.supervisor, comment="Nearly there.", annotations=annotations
    )
    post.refresh_from_db()
    assert post.status == PostStatus.CHANGES_REQUESTED
    start = CLEAN.index("this morning's crash")
    assert review.annotations == [
        {
            "start": start,
            "end": start + len("this morning's crash"),
            "text": "Say which junction.",
            "quote": "this morning's crash",
        }
    ]
    assert review.content_hash == content_hash(post)
    assert any("Changes were requested" in m for m in notified(cast.officer))
    assert actions(post)[-1] == "posts.review.changes_requested"


def test_excerpts_are_found_across_different_spacing_and_refused_when_absent(cast):
    body = "Road closed\nbetween junctions 9 and 10."
    assert workflow.annotations_from_excerpts(body, [("closed between", "which road?")])[0][
        "start"
    ] == body.index("closed")
    with pytest.raises(WorkflowError, match="is not in the text"):
        workflow.annotations_from_excerpts(body, [("motorway", "which?")])
    with pytest.raises(WorkflowError, match="Add a comment"):
        workflow.annotations_from_excerpts(body, [("closed", "")])


def test_requesting_changes_needs_a_comment(cast):
    post = submitted(cast)
    with pytest.raises(WorkflowError, match="Say what should change"):
        workflow.post_request_changes(post=post, by=cast.supervisor, comment=" ")


def test_annotations_outside_the_text_are_refused(cast):
    post = submitted(cast)
    with pytest.raises(WorkflowError, match="outside the text"):
        workflow.post_request_changes(
            post=post,
            by=cast.supervisor,
            comment="x",
            annotations=[{"start": 0, "end": 10_000, "text": "too far"}],
        )


def test_request_changes_refusals(cast, other):
    own = submitted(cast, author=cast.supervisor)
    with pytest.raises(WorkflowError, match="Nobody reviews their own post"):
        workflow.post_request_changes(post=own, by=cast.supervisor, comment="x")
    post = submitted(cast)
    with pytest.raises(WorkflowError, match="Only a supervisor"):
        workflow.post_request_changes(post=post, by=cast.officer, comment="x")
    with pytest.raises(WorkflowError, match="not a member"):
        workflow.post_request_changes(post=post, by=other.supervisor, comment="x")
    with pytest.raises(WorkflowError, match="only be requested on a post in review"):
        workflow.post_request_changes(post=draft(cast), by=cast.supervisor, comment="x")


def test_author_edits_and_resubmits_and_the_earlier_round_stops_counting(cast):
    post = submitted(cast)
    workflow.post_request_changes(post=post, by=cast.supervisor, comment="Shorter, please.")
    post.body = "The A34 is open again."
    post.save(update_fields=["body"])
    workflow.post_submit(post=post, by=cast.officer)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert Review.objects.get(post=post).superseded
    workflow.post_approve(post=post, by=cast.supervisor)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_reject_is_final_and_needs_a_reason(cast):
    post = submitted(cast)
    with pytest.raises(WorkflowError, match="Say why"):
        workflow.post_reject(post=post, by=cast.supervisor, comment="")
    review = workflow.post_reject(post=post, by=cast.supervisor, comment="Not for us to say.")
    post.refresh_from_db()
    assert post.status == PostStatus.REJECTED and review.decision == ReviewDecision.REJECTED
    assert any("rejected" in m for m in notified(cast.officer))
    assert actions(post)[-1] == "posts.review.rejected"
    with pytest.raises(WorkflowError):
        workflow.post_submit(post=post, by=cast.officer)
    with pytest.raises(WorkflowError, match="Only a post in review can be rejected"):
        workflow.post_reject(post=post, by=cast.admin, comment="again")


def test_reject_refusals(cast, other):
    own = submitted(cast, author=cast.admin)
    with pytest.raises(WorkflowError, match="Nobody reviews their own post"):
        workflow.post_reject(post=own, by=cast.admin, comment="x")
    with pytest.raises(WorkflowError, match="Only a supervisor"):
        workflow.post_reject(post=own, by=cast.analyst, comment="x")
    with pytest.raises(WorkflowError, match="not a member"):
        workflow.post_reject(post=own, by=other.admin, comment="x")


# --- Content changed after approval -------------------------------------------------------------


def test_content_change_after_approval_sends_the_post_back_to_review(cast):
    accounts = connect(cast, 4)
    post = scheduled_post(cast, accounts)
    statuses = [
        TargetStatus.PENDING,
        TargetStatus.QUEUED,
        TargetStatus.PUBLISHING,
        TargetStatus.PUBLISHED,
    ]
    for account, status in zip(accounts, statuses, strict=True):
        PostTarget.objects.filter(post=post, account=account).update(status=status)
    post.body = CLEAN + " Drive carefully."
    post.save(update_fields=["body"])

    workflow.post_send_back_to_review(post=post, by=cast.officer, reason="Text edited")

    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW and post.approved_hash == ""
    assert Review.objects.get(decision=ReviewDecision.APPROVED).superseded
    after = {t.account_id: t.status for t in PostTarget.objects.filter(post=post)}
    assert [after[a.pk] for a in accounts] == [
        TargetStatus.CANCELLED,
        TargetStatus.CANCELLED,
        TargetStatus.PUBLISHING,
        TargetStatus.PUBLISHED,
    ]
    event = AuditEvent.objects.get(action="posts.post.sent_back_to_review")
    assert event.data["reason"] == "Text edited" and len(event.data["cancelled_targets"]) == 2
    assert any("Changed after approval" in m for m in notified(cast.supervisor))


def test_the_editors_save_of_an_approved_post_sends_it_back_through_this_service(cast):
    accounts = connect(cast)
    post = scheduled_post(cast, accounts)
    post_update(post=post, by=cast.officer, body=CLEAN + " Edited.")
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW and post.approved_hash == ""
    assert PostTarget.objects.get(post=post).status == TargetStatus.CANCELLED
    assert "posts.post.sent_back_to_review" in actions(post)


def test_a_post_sent_back_is_scheduled_again_when_reapproved(cast):
    accounts = connect(cast)
    post = scheduled_post(cast, accounts)
    workflow.post_send_back_to_review(post=post, by=cast.officer, reason="edited")
    assert PostTarget.objects.get(post=post).status == TargetStatus.CANCELLED
    outcome = workflow.post_approve(post=post, by=cast.admin)
    assert outcome.scheduled_at is not None
    assert PostTarget.objects.get(post=post).status == TargetStatus.PENDING


def test_only_approved_posts_are_sent_back(cast):
    with pytest.raises(WorkflowError, match="Only an approved or scheduled post"):
        workflow.post_send_back_to_review(post=draft(cast), by=cast.officer, reason="edited")


# --- Cancel -------------------------------------------------------------------------------------


def test_cancel_a_scheduled_post_cancels_what_has_not_started(cast):
    accounts = connect(cast, 2)
    post = scheduled_post(cast, accounts)
    PostTarget.objects.filter(account=accounts[1]).update(status=TargetStatus.QUEUED)
    workflow.post_cancel(post=post, by=cast.supervisor, reason="Incident ongoing")
    post.refresh_from_db()
    assert post.status == PostStatus.CANCELLED
    assert set(PostTarget.objects.values_list("status", flat=True)) == {TargetStatus.CANCELLED}
    event = AuditEvent.objects.get(action="posts.post.cancelled")
    assert event.data["reason"] == "Incident ongoing"
    assert any("cancelled" in m for m in notified(cast.officer))


def test_cancel_an_approved_post_without_targets(cast):
    post = submitted(cast)
    workflow.post_approve(post=post, by=cast.supervisor)
    workflow.post_cancel(post=post, by=cast.officer)
    post.refresh_from_db()
    assert post.status == PostStatus.CANCELLED


@pytest.mark.parametrize("started", [TargetStatus.PUBLISHING, TargetStatus.PUBLISHED])
def test_cancel_is_refused_once_a_target_started_and_nothing_changes(cast, started):
    accounts = connect(cast, 2)
    post = scheduled_post(cast, accounts)
    PostTarget.objects.filter(account=accounts[0]).update(status=started)
    with pytest.raises(WorkflowError, match="can no longer be cancelled"):
        workflow.post_cancel(post=post, by=cast.officer)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert PostTarget.objects.get(account=accounts[1]).status == TargetStatus.PENDING


@pytest.mark.parametrize(
    "status", [PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.PUBLISHED, PostStatus.CANCELLED]
)
def test_only_approved_or_scheduled_posts_can_be_cancelled(cast, status):
    with pytest.raises(WorkflowError, match="Only an approved or scheduled post"):
        workflow.post_cancel(post=draft(cast, status=status), by=cast.officer)


def test_cancel_refused_for_analysts_and_other_agencies(cast, other):
    post = draft(cast, status=PostStatus.APPROVED)
    with pytest.raises(WorkflowError, match="Only press officers"):
        workflow.post_cancel(post=post, by=cast.analyst)
    with pytest.raises(WorkflowError, match="not a member"):
        workflow.post_cancel(post=post, by=other.admin)


# --- Reschedule ---------------------------------------------------------------------------------


def test_reschedule_a_scheduled_post_without_new_approval(cast):
    accounts = connect(cast, 2)
    post = scheduled_post(cast, accounts)
    PostTarget.objects.filter(account=accounts[1]).update(status=TargetStatus.QUEUED)
    at = timezone.now() + timedelta(days=1)
    workflow.post_reschedule(post=post, by=cast.officer, at=at)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.scheduled_at == at
    assert post.approved_hash == content_hash(post)
    targets = PostTarget.objects.filter(post=post)
    assert {(t.status, t.due_at) for t in targets} == {(TargetStatus.PENDING, at)}
    assert actions(post).count("posts.post.scheduled") == 2
    assert Review.objects.filter(post=post, decision=ReviewDecision.APPROVED).count() == 1


def test_reschedule_an_approved_post_schedules_it(cast):
    accounts = connect(cast)
    post = submitted(cast)
    post.accounts.set(accounts)
    workflow.post_approve(post=post, by=cast.supervisor)
    at = timezone.now() + timedelta(hours=5)
    post = workflow.post_reschedule(post=post, by=cast.officer, at=at)
    assert post.status == PostStatus.SCHEDULED
    assert PostTarget.objects.get(post=post).due_at == at


def test_reschedule_an_approved_post_without_accounts_is_refused(cast):
    post = submitted(cast)
    workflow.post_approve(post=post, by=cast.supervisor)
    with pytest.raises(WorkflowError, match="Choose at least one account"):
        workflow.post_reschedule(post=post, by=cast.officer, at=timezone.now() + timedelta(1))


@pytest.mark.parametrize(
    "status", [PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED]
)
def test_reschedule_before_approval_only_sets_the_time(cast, status):
    post = draft(cast, status=status)
    at = timezone.now() + timedelta(hours=4)
    workflow.post_reschedule(post=post, by=cast.officer, at=at)
    post.refresh_from_db()
    assert post.status == status and post.scheduled_at == at
    assert not PostTarget.objects.exists()
    assert actions(post)[-1] == "posts.post.rescheduled"


def test_reschedule_refusals(cast, other):
    accounts = connect(cast)
    post = scheduled_post(cast, accounts)
    later = timezone.now() + timedelta(hours=6)
    with pytest.raises(WorkflowError, match="That time has passed"):
        workflow.post_reschedule(post=post, by=cast.officer, at=timezone.now() - timedelta(1))
    with pytest.raises(WorkflowError, match="Only press officers"):
        workflow.post_reschedule(post=post, by=cast.analyst, at=later)
    with pytest.raises(WorkflowError, match="not a member"):
        workflow.post_reschedule(post=post, by=other.officer, at=later)
    PostTarget.objects.update(status=TargetStatus.PUBLISHING)
    with pytest.raises(WorkflowError, match="can no longer be rescheduled"):
        workflow.post_reschedule(post=post, by=cast.officer, at=later)
    with pytest.raises(WorkflowError, match="can no longer be rescheduled"):
        workflow.post_reschedule(
            post=draft(cast, status=PostStatus.REJECTED), by=cast.officer, at=later
        )


# --- Late reviews -------------------------------------------------------------------------------


def test_late_review_is_told_once_to_every_supervisor_and_admin(cast, other):
    extra = second_supervisor(cast)
    post = submitted(cast, scheduled_at=timezone.now() + timedelta(minutes=10))
    not_late = submitted(cast, scheduled_at=timezone.now() + timedelta(hours=2))
    submitted(other, scheduled_at=timezone.now() + timedelta(hours=2))
    Notification.objects.all().delete()

    assert workflow.late_reviews_notify() == 1
    assert workflow.late_reviews_notify() == 0

    for person in (cast.supervisor, extra, cast.admin):
        assert len(notified(person)) == 1, person
    assert notified(cast.officer) == [] and notified(cast.analyst) == []
    assert notified(other.supervisor) == []
    post.refresh_from_db()
    not_late.refresh_from_db()
    assert post.late_notified_at is not None and not_late.late_notified_at is None
    assert actions(post)[-1] == "posts.post.late_notified"


def test_late_warning_follows_the_agencys_setting_and_overdue_posts(cast):
    ApprovalSettings.objects.create(agency=cast.agency, late_warning_minutes=5)
    soon = submitted(cast, scheduled_at=timezone.now() + timedelta(minutes=10))
    overdue = submitted(cast, scheduled_at=timezone.now() - timedelta(minutes=1))
    submitted(cast)  # no time: never late
    assert workflow.late_reviews_notify() == 1
    overdue.refresh_from_db()
    soon.refresh_from_db()
    assert overdue.late_notified_at and soon.late_notified_at is None
    assert workflow.late_reviews_notify(now=timezone.now() + timedelta(minutes=6)) == 1


def test_a_new_review_round_can_be_late_again(cast):
    post = submitted(cast, scheduled_at=timezone.now() + timedelta(minutes=10))
    assert workflow.late_reviews_notify() == 1
    workflow.post_request_changes(post=post, by=cast.supervisor, comment="Fix it")
    assert workflow.late_reviews_notify() == 0
    workflow.post_submit(post=post, by=cast.officer)
    assert workflow.late_reviews_notify() == 1


def test_the_beat_task_notifies_and_runs_every_minute(cast):
    submitted(cast, scheduled_at=timezone.now() + timedelta(minutes=1))
    assert tasks.notify_late_reviews() == 1
    entry = next(
        e
        for e in django_settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "posts.notify_late_reviews"
    )
    assert entry["schedule"] == 60.0 and entry["options"]["expires"] == 50


# --- Selectors ----------------------------------------------------------------------------------


def test_queue_is_oldest_first_with_late_flags_approvals_and_only_this_agency(cast, other):
    ApprovalSettings.objects.create(agency=cast.agency, two_approvals_for_warnings=True)
    older = submitted(cast, style=PostStyle.WARNING)
    newer = submitted(
        cast, author=cast.supervisor, scheduled_at=timezone.now() + timedelta(minutes=3)
    )
    draft(cast)
    submitted(other)
    workflow.post_approve(post=older, by=cast.admin)
    posts = list(workflow.review_queue(agency=cast.agency))
    assert posts == [older, newer]
    items = workflow.queue_items(agency=cast.agency, user=cast.supervisor, posts=posts)
    assert [(i.late, i.approvals, i.required, i.own) for i in items] == [
        (False, 1, 2, False),
        (True, 0, 1, True),
    ]
