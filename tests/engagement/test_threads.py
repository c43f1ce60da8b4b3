"""Working a thread: assignment, status, labels, notes, replies and hiding.

Replies and hiding go through the real tweepy and pyfacebook clients to the sandbox; the
sandbox's own record (`sandbox_items`) is what proves a reply went out once.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, Notification, Role
from engagement import selectors, threads
from engagement.models import (
    CannedResponse,
    Conversation,
    ConversationNote,
    Direction,
    InboxSettings,
    Message,
    Reply,
)
from engagement.services import inbox_settings_ensure
from posts import publishing, workflow
from posts.models import Post, PostKind, PostStatus, PostTarget, TargetStatus
from posts.selectors import posts_for_agency
from posts.settings_services import policy_rule_create
from tests.conftest import member_of
from tests.engagement.conftest import X_ID, publish, pull
from tests.factories import UserFactory


def sandbox_items(sandbox_server, platform: str, **where) -> list[dict]:
    """Rows of the sandbox's own record of items (ours and the public's)."""
    clauses = " AND ".join(f"{column} = ?" for column in where)
    rows = sandbox_server.store.query(
        f"SELECT * FROM items WHERE platform = ? {'AND ' + clauses if clauses else ''}",  # noqa: S608
        (platform, *where.values()),
    )
    return [dict(r) for r in rows]


@pytest.fixture
def x_thread(cast, accounts, sandbox) -> Conversation:
    """A conversation under our X post, with at least one reply from the public."""
    publish(cast, accounts.x)
    sandbox.advance(3600)
    pull(accounts.x)
    conversation = (
        Conversation.objects.filter(account=accounts.x, our_post__isnull=False)
        .order_by("-message_count")
        .first()
    )
    assert conversation is not None
    return conversation


@pytest.fixture
def fb_thread(cast, accounts, sandbox) -> Conversation:
    publish(cast, accounts.fb)
    sandbox.advance(3600)
    pull(accounts.fb)
    conversation = Conversation.objects.filter(account=accounts.fb).first()
    assert conversation is not None
    return conversation


def publish_due() -> list[str]:
    return [publishing.target_publish(target_id=pk) for pk in publishing.dispatch_due()]


# -- assignment -------------------------------------------------------------------------------


def test_officer_takes_a_conversation_and_lets_it_go(cast, x_thread):
    threads.conversation_assign(conversation=x_thread, assignee=cast.officer, by=cast.officer)
    x_thread.refresh_from_db()
    assert x_thread.assignee == cast.officer
    # Taking it for oneself tells nobody.
    assert not Notification.objects.filter(user=cast.officer).exists()

    threads.conversation_assign(conversation=x_thread, assignee=None, by=cast.officer)
    x_thread.refresh_from_db()
    assert x_thread.assignee is None
    actions = list(
        AuditEvent.objects.filter(action__startswith="engagement.conversation.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["engagement.conversation.assigned", "engagement.conversation.unassigned"]


def test_officer_cannot_assign_a_colleague_or_take_from_one(cast, x_thread):
    colleague = UserFactory()
    member_of(colleague, cast.agency, Role.OFFICER)
    with pytest.raises(PermissionDenied):
        threads.conversation_assign(conversation=x_thread, assignee=colleague, by=cast.officer)

    threads.conversation_assign(conversation=x_thread, assignee=colleague, by=cast.supervisor)
    with pytest.raises(PermissionDenied):
        threads.conversation_assign(conversation=x_thread, assignee=cast.officer, by=cast.officer)
    with pytest.raises(PermissionDenied):
        threads.conversation_assign(conversation=x_thread, assignee=None, by=cast.officer)
    x_thread.refresh_from_db()
    assert x_thread.assignee == colleague


def test_supervisor_assigns_and_the_assignee_is_told(cast, x_thread):
    threads.conversation_assign(conversation=x_thread, assignee=cast.officer, by=cast.supervisor)
    x_thread.refresh_from_db()
    assert x_thread.assignee == cast.officer
    note = Notification.objects.get(user=cast.officer)
    assert note.link == f"/inbox/{x_thread.pk}/"


def test_only_people_who_work_the_inbox_are_assigned(cast, other, x_thread):
    with pytest.raises(ValidationError):
        threads.conversation_assign(
            conversation=x_thread, assignee=cast.analyst, by=cast.supervisor
        )
    with pytest.raises(ValidationError):
        threads.conversation_assign(
            conversation=x_thread, assignee=other.officer, by=cast.supervisor
        )


def test_analysts_and_outsiders_cannot_work_a_thread(cast, other, x_thread):
    for person in (cast.analyst, other.supervisor):
        with pytest.raises(PermissionDenied):
            threads.conversation_assign(conversation=x_thread, assignee=person, by=person)
        with pytest.raises(PermissionDenied):
            threads.conversation_set_status(conversation=x_thread, status="resolved", by=person)
        with pytest.raises(PermissionDenied):
            threads.conversation_note_add(conversation=x_thread, text="x", by=person)
        with pytest.raises(PermissionDenied):
            threads.reply_send(conversation=x_thread, text="Thank you.", by=person)
    assert not Reply.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="engagement.conversation.").exists()


# -- status, labels, notes --------------------------------------------------------------------


def test_status_labels_and_notes_are_recorded(cast, x_thread):
    threads.conversation_set_status(conversation=x_thread, status="pending", by=cast.officer)
    threads.conversation_set_labels(
        conversation=x_thread, labels=[" road  closure ", "Road closure", "A1", ""], by=cast.officer
    )
    note = threads.conversation_note_add(
        conversation=x_thread, text="Caller known to us; see log 0412.", by=cast.officer
    )
    x_thread.refresh_from_db()
    assert x_thread.status == "pending"
    assert x_thread.labels == ["road closure", "A1"]
    assert list(selectors.notes_for_conversation(conversation=x_thread)) == [note]
    event = AuditEvent.objects.get(action="engagement.conversation.note_added")
    # The trail says a note was written, not what it says.
    assert "0412" not in str(event.data) and event.data["note"] == note.pk

    with pytest.raises(ValidationError):
        threads.conversation_set_status(conversation=x_thread, status="archived", by=cast.officer)
    with pytest.raises(ValidationError):
        threads.conversation_set_labels(conversation=x_thread, labels=["x" * 41], by=cast.officer)
    with pytest.raises(ValidationError):
        threads.conversation_note_add(conversation=x_thread, text="   ", by=cast.officer)
    assert ConversationNote.objects.count() == 1


# -- replies ----------------------------------------------------------------------------------


def test_a_reply_goes_out_once_as_a_reply_and_joins_the_thread(
    cast, accounts, x_thread, sandbox_server
):
    inbound = x_thread.messages.order_by("-created_at").first()
    before = x_thread.message_count

    reply = threads.reply_send(
        conversation=x_thread, text="Thank you, an officer will call you.", by=cast.officer
    )
    assert reply.in_reply_to == inbound
    assert reply.post.kind == PostKind.REPLY and reply.post.status == PostStatus.SCHEDULED
    assert publish_due() == ["published"]
    # A second dispatch and a replayed task find nothing more to do.
    target = PostTarget.objects.get(post=reply.post)
    assert publish_due() == []
    assert publishing.target_publish(target_id=target.pk) == "skipped"

    ours = sandbox_items(sandbox_server, "x", by_us=1, in_reply_to_id=inbound.external_id)
    assert len(ours) == 1 and ours[0]["text"] == "Thank you, an officer will call you."
    x_thread.refresh_from_db()
    target.refresh_from_db()
    sent = Message.objects.get(direction=Direction.OUTBOUND)
    assert sent.external_id == target.external_id == ours[0]["ext_id"]
    assert sent.conversation == x_thread and sent.sent_by == cast.officer
    assert sent.parent_external_id == inbound.external_id
    assert x_thread.message_count == before + 1
    assert x_thread.first_response_at == target.published_at
    assert x_thread.first_response_seconds >= 0
    assert selectors.response_state(x_thread) == "answered"
    assert AuditEvent.objects.filter(action="engagement.reply.published").count() == 1

    # The next pull does not bring our own reply back in as a message from the public.
    pull(accounts.x)
    assert Message.objects.filter(external_id=sent.external_id).count() == 1


def test_a_facebook_reply_answers_the_comment(cast, fb_thread, sandbox_server):
    comment = fb_thread.messages.order_by("created_at").first()
    threads.reply_send(
        conversation=fb_thread,
        text="Thanks, we've passed this on.",
        by=cast.officer,
        in_reply_to=comment,
    )
    assert publish_due() == ["published"]
    ours = sandbox_items(sandbox_server, "facebook", by_us=1, in_reply_to_id=comment.external_id)
    assert len(ours) == 1
    assert Message.objects.get(direction=Direction.OUTBOUND).kind == "comment"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_a_reply_once(cast, accounts, sandbox, sandbox_server):
    publish(cast, accounts.x)
    sandbox.advance(3600)
    pull(accounts.x)
    conversation = Conversation.objects.filter(account=accounts.x).first()
    reply = threads.reply_send(conversation=conversation, text="On our way.", by=cast.officer)
    (target_id,) = publishing.dispatch_due()
    outcomes: list[str] = []

    def worker() -> None:
        try:
            outcomes.append(publishing.target_publish(target_id=target_id))
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(outcomes) == ["published"] + ["skipped"] * 5
    ours = sandbox_items(sandbox_server, "x", by_us=1, text="On our way.")
    assert len(ours) == 1
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1
    assert Post.objects.get(pk=reply.post_id).status == PostStatus.PUBLISHED


def test_a_reply_with_personal_data_is_refused_and_nothing_is_kept(cast, x_thread):
    with pytest.raises(ValidationError) as refused:
        threads.reply_send(
            conversation=x_thread, text="Call PC Lee on 07700 900123.", by=cast.officer
        )
    assert "07700 900123" in str(refused.value)
    assert not Reply.objects.exists()
    assert not Post.objects.filter(kind=PostKind.REPLY).exists()
    assert not PostTarget.objects.filter(post__kind=PostKind.REPLY).exists()


def test_required_hashtags_are_for_posts_not_replies(cast, x_thread):
    policy_rule_create(
        agency=cast.agency,
        by=cast.admin,
        name="Force hashtag",
        kind="required_hashtag",
        severity="block",
        terms=["#HarbourPolice"],
        message="Posts carry the force hashtag.",
    )
    reply = threads.reply_send(conversation=x_thread, text="Thank you.", by=cast.officer)
    assert reply.post.status == PostStatus.SCHEDULED


def test_an_empty_or_overlong_reply_is_refused(cast, x_thread):
    with pytest.raises(ValidationError):
        threads.reply_send(conversation=x_thread, text="   ", by=cast.officer)
    with pytest.raises(ValidationError):
        threads.reply_send(conversation=x_thread, text="word " * 80, by=cast.officer)
    assert not Reply.objects.exists()


def test_a_reply_to_a_message_of_another_thread_is_refused(cast, accounts, sandbox, x_thread):
    elsewhere = Message.objects.exclude(conversation=x_thread).first()
    if elsewhere is None:
        pytest.skip("the seed gave a single thread")  # pragma: no cover
    with pytest.raises(ValidationError):
        threads.reply_send(
            conversation=x_thread, text="Thanks.", by=cast.officer, in_reply_to=elsewhere
        )


def test_when_replies_need_approval_an_officers_reply_waits_for_a_supervisor(
    cast, x_thread, sandbox_server
):
    inbox = inbox_settings_ensure(agency=cast.agency)
    InboxSettings.objects.filter(pk=inbox.pk).update(require_reply_approval=True)

    reply = threads.reply_send(
        conversation=x_thread, text="We are looking into it.", by=cast.officer
    )
    post = Post.objects.get(pk=reply.post_id)
    assert post.status == PostStatus.IN_REVIEW
    assert publish_due() == []
    assert post in workflow.review_queue(agency=cast.agency)
    assert post not in posts_for_agency(agency=cast.agency)  # not among the drafts

    workflow.post_approve(post=post, by=cast.supervisor)
    assert publish_due() == ["published"]
    assert len(sandbox_items(sandbox_server, "x", by_us=1, text="We are looking into it.")) == 1

    # A supervisor's own reply needs nobody else.
    supervisor_reply = threads.reply_send(
        conversation=x_thread, text="Update: resolved.", by=cast.supervisor
    )
    assert supervisor_reply.post.status == PostStatus.SCHEDULED


def test_a_failed_reply_tells_the_author(cast, accounts, sandbox, x_thread):
    reply = threads.reply_send(conversation=x_thread, text="Thank you.", by=cast.officer)
    sandbox.faults("x", X_ID, {"token_expired": True})
    assert publish_due() == ["failed"]
    target = PostTarget.objects.get(post=reply.post)
    assert target.status == TargetStatus.FAILED
    assert Notification.objects.filter(
        user=cast.officer, message__contains="Not published"
    ).exists()
    x_thread.refresh_from_db()
    assert x_thread.first_response_at is None
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


# -- canned responses -------------------------------------------------------------------------


def test_canned_responses_are_managed_by_admins_and_fill_in_the_handle(cast, other, x_thread):
    with pytest.raises(PermissionDenied):
        threads.canned_response_save(
            agency=cast.agency, by=cast.supervisor, title="Thanks", text="Thank you {handle}."
        )
    response = threads.canned_response_save(
        agency=cast.agency, by=cast.admin, title="Thanks", text="Thank you {handle}."
    )
    with pytest.raises(ValidationError):
        threads.canned_response_save(agency=cast.agency, by=cast.admin, title="thanks", text="x")
    with pytest.raises(PermissionDenied):
        threads.canned_response_save(
            agency=other.agency, by=other.admin, title="Mine", text="x", response=response
        )
    latest = x_thread.messages.filter(direction="inbound").order_by("-created_at", "-pk").first()
    assert threads.canned_text(response=response, conversation=x_thread) == (
        f"Thank you @{latest.author_handle}."
    )
    reply = threads.reply_send(
        conversation=x_thread,
        text=threads.canned_text(response=response, conversation=x_thread),
        by=cast.officer,
        canned_response=response,
    )
    assert reply.canned_response == response
    assert list(selectors.canned_responses_for_agency(agency=other.agency)) == []

    threads.canned_response_delete(response=response, by=cast.admin)
    assert not CannedResponse.objects.exists()
    reply.refresh_from_db()
    assert reply.canned_response is None
    assert AuditEvent.objects.filter(action__startswith="engagement.canned_response.").count() == 2


# -- moderation -------------------------------------------------------------------------------


def test_hiding_a_reply_on_x_needs_a_reason_and_is_recorded(cast, x_thread, sandbox_server):
    message = x_thread.messages.filter(direction="inbound").exclude(parent_external_id="").first()
    with pytest.raises(ValidationError):
        threads.message_hide(message=message, by=cast.officer, reason="  ")

    threads.message_hide(message=message, by=cast.officer, reason="Abusive language")

    message.refresh_from_db()
    assert message.hidden and message.hidden_by == cast.officer
    assert message.hidden_reason == "Abusive language"
    (row,) = sandbox_items(sandbox_server, "x", ext_id=message.external_id)
    assert row["hidden"] == 1
    event = AuditEvent.objects.get(action="engagement.message.hidden")
    assert event.data["reason"] == "Abusive language"
    with pytest.raises(ValidationError):
        threads.message_hide(message=message, by=cast.officer, reason="again")


def test_hiding_a_facebook_comment(cast, fb_thread, sandbox_server):
    comment = fb_thread.messages.order_by("created_at").first()
    threads.message_hide(message=comment, by=cast.supervisor, reason="Names a suspect")
    (row,) = sandbox_items(sandbox_server, "facebook", ext_id=comment.external_id)
    assert row["hidden"] == 1


def test_a_platform_refusal_to_hide_is_shown_and_nothing_recorded(cast, accounts, sandbox):
    # X hides only replies in conversations we started: a mention of us in someone else's
    # thread cannot be hidden.
    publish(cast, accounts.x)
    sandbox.advance(7200)
    pull(accounts.x)
    mention = Message.objects.filter(kind="mention").first()
    if mention is None:
        pytest.skip("the seed gave no mention")  # pragma: no cover
    with pytest.raises(ValidationError) as refused:
        threads.message_hide(message=mention, by=cast.officer, reason="Spam")
    assert "refused" in str(refused.value)
    mention.refresh_from_db()
    assert not mention.hidden
    assert not AuditEvent.objects.filter(action="engagement.message.hidden").exists()


def test_analysts_cannot_hide(cast, x_thread):
    message = x_thread.messages.first()
    with pytest.raises(PermissionDenied):
        threads.message_hide(message=message, by=cast.analyst, reason="Spam")


# -- what others see --------------------------------------------------------------------------


def test_replies_are_not_posts_on_the_drafts_list_or_the_calendar(cast, x_thread):
    threads.reply_send(conversation=x_thread, text="Thank you.", by=cast.officer)
    assert not posts_for_agency(agency=cast.agency).filter(kind=PostKind.REPLY).exists()
    assert selectors.replies_for_conversation(conversation=x_thread).count() == 1


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_a_reply_whose_worker_died_after_the_platform_took_it_is_found_not_resent(
    cast, accounts, sandbox, sandbox_server, platform
):
    account = accounts.x if platform == "x" else accounts.fb
    publish(cast, account)
    sandbox.advance(3600)
    pull(account)
    conversation = Conversation.objects.filter(account=account).first()
    reply = threads.reply_send(conversation=conversation, text="Noted, thank you.", by=cast.officer)
    (target_id,) = publishing.dispatch_due()
    publishing._claim(target_id, from_status=TargetStatus.QUEUED)
    PostTarget.objects.filter(pk=target_id).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    # The dead worker's call reached the platform before it died.
    publishing.client_for_account(account).publish(
        "Noted, thank you.", reply_to=reply.post.in_reply_to_external_id
    )
    assert publishing.dispatch_due() == []  # hands the expired lease to the reconciler

    assert publishing.target_reconcile(target_id=target_id) == "published"

    assert len(sandbox_items(sandbox_server, platform, by_us=1, text="Noted, thank you.")) == 1
    sent = Message.objects.get(direction=Direction.OUTBOUND)
    assert sent.external_id == PostTarget.objects.get(pk=target_id).external_id
