"""The inbox pull, through the real tweepy and pyfacebook clients and the sandbox.

The sandbox schedules the public's replies when a post is published and shows them as its clock
passes them (`sandbox.advance`); with the session's fixed seed the same posts get the same
public every run. `visible_public` reads the sandbox's own record to compare against.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, Notification, PlatformAccountStatus, Role
from engagement import services
from engagement.models import Conversation, ConversationStatus, Message, PullCursor
from tests.conftest import member_of
from tests.engagement.conftest import (
    FB_ID,
    X_ID,
    X_TOKEN,
    connect,
    publish,
    pull,
    visible_public,
)
from tests.factories import UserFactory


def counts() -> tuple[int, int, int, int]:
    return (
        Message.objects.count(),
        Conversation.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.filter(action="engagement.pull").count(),
    )


# -- threading --------------------------------------------------------------------------------


def test_x_replies_are_grouped_by_conversation_and_linked_to_our_post(
    cast, accounts, sandbox, sandbox_server
):
    targets = [
        publish(cast, accounts.x, body=f"Update {n} on the A1 closure.")[0] for n in range(3)
    ]
    sandbox.advance(3600)

    result = pull(accounts.x)

    public = visible_public(sandbox_server, "x", X_ID)
    assert result.status == "pulled" and result.added == len(public) > 0
    by_post = {t.external_id: t for t in targets}
    nested = 0
    for item in public:
        message = Message.objects.select_related("conversation").get(external_id=item["ext_id"])
        conversation = message.conversation
        assert conversation.root_external_id == item["conversation_id"]
        assert message.parent_external_id == (item["in_reply_to_id"] or "")
        target = by_post.get(item["conversation_id"])
        if target is not None:  # a reply somewhere in the thread under our post
            assert message.kind == "reply"
            assert conversation.our_target_id == target.pk
            assert conversation.our_post_id == target.post_id
            assert conversation.post_external_id == target.external_id
            nested += item["in_reply_to_id"] != target.external_id
        else:  # someone tagging us in a post of their own
            assert message.kind == "mention" and conversation.our_post_id is None
    assert nested > 0, "the seed should give at least one reply to a reply"
    # One conversation per post (every reply chain under it) plus one per standalone mention.
    mentions = sum(1 for i in public if i["conversation_id"] not in by_post)
    assert Conversation.objects.count() == len(targets) + mentions
    for target in targets:
        conversation = Conversation.objects.get(our_target=target)
        replies = [i for i in public if i["conversation_id"] == target.external_id]
        assert conversation.message_count == len(replies)
        assert conversation.last_activity_at == max(
            m.created_at for m in conversation.messages.all()
        )


def test_facebook_comments_and_their_replies_are_grouped_by_top_comment(
    cast, accounts, sandbox, sandbox_server
):
    (target,) = publish(cast, accounts.fb)
    sandbox.advance(3600)

    result = pull(accounts.fb)

    public = visible_public(sandbox_server, "facebook", FB_ID)
    assert result.status == "pulled" and result.added == len(public) > 0
    top_level = [i for i in public if i["in_reply_to_id"] is None]
    replies = [i for i in public if i["in_reply_to_id"] is not None]
    assert replies, "the seed should give at least one reply to a comment"
    assert Conversation.objects.count() == len(top_level)
    for comment in top_level:
        conversation = Conversation.objects.get(root_external_id=comment["ext_id"])
        thread = {comment["ext_id"]} | {
            r["ext_id"] for r in replies if r["in_reply_to_id"] == comment["ext_id"]
        }
        assert set(conversation.messages.values_list("external_id", flat=True)) == thread
        assert conversation.our_target_id == target.pk
        assert conversation.our_post_id == target.post_id
        assert conversation.post_external_id == target.external_id
        assert conversation.message_count == len(thread)
    assert set(Message.objects.values_list("kind", flat=True)) == {"comment"}


def test_later_replies_join_the_conversations_they_belong_to(
    cast, accounts, sandbox, sandbox_server
):
    publish(cast, accounts.x, accounts.fb)
    sandbox.advance(400)
    first = {a: pull(a).added for a in (accounts.x, accounts.fb)}
    sandbox.advance(3600)
    later = {a: pull(a).added for a in (accounts.x, accounts.fb)}

    assert all(first.values()) and all(later.values())
    for account, platform, external_id in (
        (accounts.x, "x", X_ID),
        (accounts.fb, "facebook", FB_ID),
    ):
        public = visible_public(sandbox_server, platform, external_id)
        stored = Message.objects.filter(conversation__account=account)
        assert sorted(stored.values_list("external_id", flat=True)) == sorted(
            i["ext_id"] for i in public
        )
        for conversation in Conversation.objects.filter(account=account):
            assert conversation.message_count == conversation.messages.count()


def test_a_new_message_reopens_a_resolved_conversation(cast, accounts, sandbox):
    publish(cast, accounts.x)
    sandbox.advance(300)
    pull(accounts.x)
    Conversation.objects.update(status=ConversationStatus.RESOLVED)
    sandbox.advance(3600)
    pull(accounts.x)
    post_thread = Conversation.objects.get(our_target__isnull=False)
    assert post_thread.status == ConversationStatus.OPEN


# -- idempotence ------------------------------------------------------------------------------


def test_replaying_a_pull_adds_nothing(cast, accounts, sandbox):
    publish(cast, accounts.x, accounts.fb)
    sandbox.advance(3600)
    assert pull(accounts.x).added and pull(accounts.fb).added
    before = counts()

    again = [pull(accounts.x), pull(accounts.fb)]

    assert [r.added for r in again] == [0, 0]
    assert counts() == before


def test_pulling_again_from_the_start_adds_nothing(cast, accounts, sandbox):
    publish(cast, accounts.x, accounts.fb)
    sandbox.advance(3600)
    pull(accounts.x)
    pull(accounts.fb)
    before = counts()
    cursors = dict(PullCursor.objects.values_list("account_id", "cursor"))

    PullCursor.objects.update(cursor="")
    replay = [pull(accounts.x), pull(accounts.fb)]

    assert [r.added for r in replay] == [0, 0]
    assert all(r.fetched for r in replay)
    assert counts() == before
    assert dict(PullCursor.objects.values_list("account_id", "cursor")) == cursors


def test_one_audit_event_per_pull_that_added_something(cast, accounts, sandbox):
    publish(cast, accounts.x)
    sandbox.advance(3600)
    result = pull(accounts.x)
    pull(accounts.x)

    (event,) = AuditEvent.objects.filter(action="engagement.pull")
    assert event.agency == cast.agency and event.target_id == str(accounts.x.pk)
    assert event.data["added"] == result.added
    assert event.data["conversations_created"] == result.conversations_created


def test_a_loop_of_pages_stops_when_the_cursor_stops_moving(cast, accounts, sandbox, settings):
    settings.BEAT_INBOX_MAX_PAGES = 5
    publish(cast, accounts.x)
    sandbox.advance(3600)
    result = pull(accounts.x)
    assert result.pages == 2  # the second round found nothing newer
    assert result.cursor == PullCursor.objects.get(account=accounts.x).cursor


# -- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_a_server_error_keeps_the_cursor_and_records_the_error(cast, accounts, sandbox, platform):
    account = accounts.x if platform == "x" else accounts.fb
    publish(cast, account)
    sandbox.advance(300)
    pull(account)
    cursor_before = PullCursor.objects.get(account=account).cursor
    stored_before = Message.objects.count()
    sandbox.advance(3600)
    sandbox.faults(platform, account.external_id, {"error_5xx": 1})

    before = timezone.now()
    result = pull(account)

    assert result.status == "failed"
    row = PullCursor.objects.get(account=account)
    assert row.cursor == cursor_before
    assert row.last_error and row.failures == 1
    assert row.next_pull_at > before  # backs off instead of hammering
    assert row.claim_token == "" and row.lease_until is None
    assert Message.objects.count() == stored_before
    assert services.account_pull(account_id=account.pk).status == "not_due"

    recovered = pull(account)
    row.refresh_from_db()
    assert recovered.status == "pulled" and recovered.added > 0
    assert row.last_error == "" and row.failures == 0 and row.cursor != cursor_before


def test_a_rate_limit_keeps_the_cursor_and_waits_for_the_reset(cast, accounts, sandbox):
    publish(cast, accounts.x)
    sandbox.advance(300)
    pull(accounts.x)
    cursor_before = PullCursor.objects.get(account=accounts.x).cursor
    sandbox.advance(3600)
    reply = sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 30}})
    reset = datetime.fromtimestamp(reply["faults"]["rate_limit"]["reset"], tz=UTC)

    result = pull(accounts.x)

    assert result.status == "rate_limited"
    row = PullCursor.objects.get(account=accounts.x)
    assert row.cursor == cursor_before
    assert row.next_pull_at == reset
    assert "Rate limit" in row.last_error
    # Neither a direct call nor the dispatcher pulls before the reset.
    assert services.account_pull(account_id=accounts.x.pk).status == "not_due"
    assert accounts.x.pk not in services.dispatch_pulls()
    assert accounts.x.pk in services.dispatch_pulls(now=reset + timedelta(seconds=1))


def test_a_facebook_throttle_waits_for_the_time_meta_gives(cast, accounts, sandbox):
    publish(cast, accounts.fb)
    sandbox.advance(3600)
    sandbox.faults("facebook", FB_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 600}})
    before = timezone.now()

    assert pull(accounts.fb).status == "rate_limited"

    row = PullCursor.objects.get(account=accounts.fb)
    assert row.cursor == ""
    # Meta gives whole minutes ("estimated_time_to_regain_access"), rounded up.
    assert before + timedelta(minutes=10) <= row.next_pull_at <= before + timedelta(minutes=12)
    assert Message.objects.count() == 0


def test_a_failure_partway_through_a_fetch_stores_nothing(cast, accounts, sandbox):
    """X reads mentions, then each post's conversation: the second call fails here."""
    publish(cast, accounts.x)
    sandbox.advance(3600)
    sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 1, "reset_in_s": 30}})

    assert pull(accounts.x).status == "rate_limited"

    assert Message.objects.count() == 0 and Conversation.objects.count() == 0
    assert PullCursor.objects.get(account=accounts.x).cursor == ""


def test_an_expired_token_marks_the_account_and_keeps_the_cursor(cast, accounts, sandbox):
    publish(cast, accounts.fb)
    sandbox.advance(3600)
    sandbox.faults("facebook", FB_ID, {"token_expired": True})

    assert pull(accounts.fb).status == "auth_expired"

    accounts.fb.refresh_from_db()
    assert accounts.fb.status == PlatformAccountStatus.NEEDS_REAUTH
    assert PullCursor.objects.get(account=accounts.fb).cursor == ""
    # An account that needs reconnecting is no longer pulled.
    assert services.account_pull(account_id=accounts.fb.pk).status == "inactive"
    assert accounts.fb.pk not in services.dispatch_pulls(now=timezone.now() + timedelta(days=1))


def test_a_pull_in_progress_is_not_run_twice(cast, accounts, sandbox):
    cursor = services.pull_cursor_for(account=accounts.x)
    PullCursor.objects.filter(pk=cursor.pk).update(
        claim_token="someone-else", lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert services.account_pull(account_id=accounts.x.pk).status == "busy"
    # A lease left by a dead worker expires.
    PullCursor.objects.filter(pk=cursor.pk).update(
        lease_until=timezone.now() - timedelta(minutes=1)
    )
    assert services.account_pull(account_id=accounts.x.pk).status == "pulled"


# -- urgent -----------------------------------------------------------------------------------


def test_an_urgent_conversation_notifies_every_supervisor_once(cast, accounts, sandbox):
    second = UserFactory(email="second-supervisor@alpha.test")
    member_of(second, cast.agency, Role.SUPERVISOR)
    publish(cast, accounts.x)  # the seed's first X post draws an urgent mention
    sandbox.advance(3600)

    result = pull(accounts.x)
    pull(accounts.x)
    PullCursor.objects.update(cursor="")
    pull(accounts.x)

    urgent = list(Conversation.objects.filter(urgent=True))
    assert urgent and result.urgent_notified == len(urgent)
    notes = Notification.objects.filter(agency=cast.agency)
    assert sorted(notes.values_list("user__email", flat=True)) == sorted(
        [cast.supervisor.email, second.email] * len(urgent)
    )
    assert set(notes.values_list("link", flat=True)) == {
        f"/inbox/?conversation={c.pk}" for c in urgent
    }
    assert all(c.urgent_notified_at is not None for c in urgent)
    # Due within the target whatever the office hours.
    assert all(c.response_due_at <= c.first_inbound_at + timedelta(minutes=60) for c in urgent)
    # Urgent goes to the top of the inbox.
    top = Conversation.objects.filter(agency=cast.agency).order_by("-priority", "-last_activity_at")
    assert top[0].urgent and top[0].category == "urgent"


def test_urgent_in_another_agency_tells_only_its_own_supervisors(
    cast, other, accounts, bravo_x, sandbox
):
    publish(cast, accounts.x)
    sandbox.advance(3600)
    pull(accounts.x)
    assert Notification.objects.exists()
    assert not Notification.objects.filter(agency=other.agency).exists()
    assert not Notification.objects.filter(user=other.supervisor).exists()


def test_korean_replies_are_triaged_with_the_korean_rules(cast, sandbox, settings):
    settings.PLATFORM_BASE_URLS = {"x": sandbox.url, "facebook": sandbox.url}
    account = connect(sandbox, cast.agency, "x", X_ID, X_TOKEN, "seoulpolice", language="ko")
    publish(cast, account, body="교통 통제 안내입니다.")
    publish(cast, account, body="실종 아동을 찾습니다.")
    sandbox.advance(3600)

    assert pull(account).added

    messages = list(Message.objects.all())
    assert {m.language for m in messages} == {"ko"}
    matched = [term for m in messages for _category, term in m.triage_terms]
    assert any("\uac00" <= ch <= "\ud7a3" for term in matched for ch in term)
    assert {m.category for m in messages} - {"other"}


# -- tenancy and the unique (platform, external id) -------------------------------------------


def test_a_message_already_held_under_another_agency_is_skipped_not_shared(
    cast, other, accounts, sandbox
):
    """Two agencies connected to the same X account: the second pull neither fails nor leaks."""
    publish(cast, accounts.x)
    sandbox.advance(3600)
    first = pull(accounts.x)
    shared = connect(sandbox, other.agency, "x", X_ID, X_TOKEN, "alphapolice")

    second = pull(shared)

    assert second.status == "pulled"
    assert second.added == 0 and second.skipped_elsewhere == first.added
    assert PullCursor.objects.get(account=shared).cursor  # it moves on rather than retrying
    assert not Conversation.objects.filter(agency=other.agency).exists()
    assert not Message.objects.filter(agency=other.agency).exists()


# -- beat -------------------------------------------------------------------------------------


def test_dispatch_enqueues_each_due_active_account_once(
    cast, accounts, sandbox, settings, django_capture_on_commit_callbacks
):
    settings.BEAT_INBOX_DISPATCH_STALE_SECONDS = 120
    disabled = connect(sandbox, cast.agency, "x", "1600000000000000099", "x-off", "offduty")
    disabled.status = PlatformAccountStatus.DISABLED
    disabled.save(update_fields=["status"])

    with django_capture_on_commit_callbacks() as callbacks:
        first = services.dispatch_pulls()
    assert sorted(first) == sorted([accounts.x.pk, accounts.fb.pk])
    assert len(callbacks) == 1  # the tasks go out after the claim committed
    assert services.dispatch_pulls() == []  # already dispatched
    stale = timezone.now() + timedelta(seconds=121)
    assert sorted(services.dispatch_pulls(now=stale)) == sorted(first)  # message lost: again


def test_the_beat_task_path_pulls_after_commit(
    cast, accounts, sandbox, settings, django_capture_on_commit_callbacks
):
    from config.celery import app
    from engagement.tasks import dispatch_pulls

    publish(cast, accounts.x, accounts.fb)
    sandbox.advance(3600)
    # Celery reads the Django setting (CELERY_ namespace) before its own attribute.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert dispatch_pulls.apply().get() == 2
    finally:
        app.conf.task_always_eager = False
    assert Message.objects.filter(conversation__account=accounts.x).exists()
    assert Message.objects.filter(conversation__account=accounts.fb).exists()
    rows = PullCursor.objects.all()
    assert all(r.cursor and r.last_pulled_at and r.next_pull_at > timezone.now() for r in rows)
    assert all(r.dispatched_at is None for r in rows)
    # Not due again until the interval passed.
    assert dispatch_pulls.apply().get() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_pulls_of_one_account_store_each_message_once(cast, accounts, sandbox):
    publish(cast, accounts.x, accounts.fb)
    sandbox.advance(3600)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def worker(account_id: int) -> None:
        try:
            outcomes.append(services.account_pull(account_id=account_id).status)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(a.pk,))
        for a in (accounts.x, accounts.fb)
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert outcomes.count("pulled") >= 2
    assert set(outcomes) <= {"pulled", "busy", "not_due"}
    ids = list(Message.objects.values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) > 0
