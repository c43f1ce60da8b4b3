"""Collecting analytics: post metrics on their schedule and daily account audiences.

Everything goes through the real publishing path and the real tweepy and pyfacebook clients to
the sandbox. The services take a fixed clock (`now=`); the sandbox keeps its own, which only
decides what the platform reports. `calls_to` counts the requests a worker's client sends with a
response hook on its session: the client itself runs unchanged.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent, PlatformAccount, PlatformAccountStatus
from engagement import metrics, tasks, threads
from engagement.models import (
    AccountSnapshot,
    Conversation,
    Direction,
    Message,
    MessageKind,
    MetricSnapshot,
    TargetMetrics,
)
from posts import publishing, workflow
from posts.models import Post, PostTarget, TargetStatus
from tests.engagement.conftest import FB_ID, X_ID, publish, pull

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


def calls_to(account: PlatformAccount) -> list[str]:
    """The URLs the worker's (cached, per-thread) client for `account` requests from now on."""
    client = publishing.client_for_account(account)
    session = client._client.session if account.platform == "x" else client._api.session
    seen: list[str] = []
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response.url))
    return seen


def row(target: PostTarget) -> TargetMetrics:
    return TargetMetrics.objects.get(target=target)


def last_published(targets: list[PostTarget]) -> datetime:
    return max(t.published_at for t in targets)


# -- tracking ---------------------------------------------------------------------------------


def test_publishing_a_post_starts_collection_for_each_target(cast, accounts):
    targets = publish(cast, accounts.x, accounts.fb)

    for target in targets:
        tracked = row(target)
        assert tracked.agency_id == cast.agency.pk == target.agency_id
        assert (tracked.account_id, tracked.post_id) == (target.account_id, target.post_id)
        assert tracked.platform == target.account.platform
        assert tracked.style == target.post.style
        assert tracked.published_at == target.published_at
        assert tracked.next_refresh_at == target.published_at + 15 * MINUTE
        assert tracked.snapshot_count == 0 and tracked.measured_at is None


def test_a_reply_from_the_inbox_is_not_tracked(cast, accounts, sandbox):
    publish(cast, accounts.x)
    sandbox.advance(3600)
    pull(accounts.x)
    conversation = Conversation.objects.filter(account=accounts.x, our_post__isnull=False).first()
    reply = threads.reply_send(conversation=conversation, text="Thank you.", by=cast.supervisor)

    assert [publishing.target_publish(target_id=pk) for pk in publishing.dispatch_due()] == [
        "published"
    ]

    assert PostTarget.objects.get(post=reply.post).status == TargetStatus.PUBLISHED
    assert not TargetMetrics.objects.filter(post=reply.post).exists()
    assert TargetMetrics.objects.count() == 1  # the post it answers
    assert metrics.track_recent_targets() == 0  # nor does the safety net pick it up


def test_the_sweep_tracks_recent_published_targets_that_have_no_row(cast, accounts):
    recent = publish(cast, accounts.x, accounts.fb)
    [old] = publish(cast, accounts.x, body="Published long ago.")
    long_ago = timezone.now() - timedelta(days=40)
    PostTarget.objects.filter(pk=old.pk).update(published_at=long_ago)
    Post.objects.filter(pk=old.post_id).update(scheduled_at=long_ago)
    TargetMetrics.objects.all().delete()

    assert metrics.track_recent_targets(limit=1) == 1  # bounded per run
    assert metrics.track_recent_targets() == 1
    assert metrics.track_recent_targets() == 0

    assert set(TargetMetrics.objects.values_list("target_id", flat=True)) == {t.pk for t in recent}
    for target in recent:
        assert row(target).next_refresh_at == target.published_at + 15 * MINUTE


# -- the schedule -----------------------------------------------------------------------------


def test_the_schedule_is_every_15_minutes_for_a_day_then_daily_until_30_days():
    t0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def after(age: timedelta) -> timedelta | None:
        at = t0 + age
        following = metrics.next_refresh_after(published_at=t0, at=at)
        return None if following is None else following - at

    assert after(15 * MINUTE) == 15 * MINUTE
    assert after(23 * timedelta(hours=1) + 59 * MINUTE) == 15 * MINUTE
    assert after(DAY) == DAY
    assert after(29 * DAY + 23 * timedelta(hours=1)) == DAY
    assert after(30 * DAY) is None
    assert after(45 * DAY) is None


def test_the_first_day_interval_can_be_shortened_for_the_browser_tests(settings):
    settings.BEAT_METRICS_YOUNG_EVERY_SECONDS = 60
    t0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    at = t0 + 5 * MINUTE
    assert metrics.next_refresh_after(published_at=t0, at=at) == at + MINUTE
    assert metrics.next_refresh_after(published_at=t0, at=t0 + 2 * DAY) == t0 + 3 * DAY


def test_readings_follow_the_schedule_and_stop_after_30_days(cast, accounts, sandbox):
    [target] = publish(cast, accounts.x)
    t0 = target.published_at

    assert metrics.refresh_due_metrics(now=t0 + 10 * MINUTE).claimed == 0  # not due yet
    readings = [
        t0 + 15 * MINUTE,  # first reading, due 15 minutes after publication
        t0 + timedelta(hours=23),  # still young: next in 15 minutes
        t0 + DAY + MINUTE,  # a day old: next in a day
        t0 + 30 * DAY,  # 30 days old: the last reading
    ]
    expected_next = [
        readings[0] + 15 * MINUTE,
        readings[1] + 15 * MINUTE,
        readings[2] + DAY,
        None,
    ]
    for at, following in zip(readings, expected_next, strict=True):
        result = metrics.refresh_due_metrics(now=at)
        assert (result.claimed, result.snapshots, result.calls) == (1, 1, 1)
        assert row(target).next_refresh_at == following

    assert metrics.refresh_due_metrics(now=t0 + 40 * DAY).claimed == 0
    tracked = row(target)
    assert tracked.snapshot_count == 4 and tracked.measured_at == readings[-1]
    taken = list(MetricSnapshot.objects.filter(target=target).values_list("taken_at", flat=True))
    assert taken == readings


def test_a_reading_is_stored_as_a_snapshot_and_as_the_latest_figures(cast, accounts, sandbox):
    targets = publish(cast, accounts.x, accounts.fb)
    sandbox.advance(2 * 86400)  # the sandbox's curves have levelled off: stable figures
    now = last_published(targets) + 15 * MINUTE

    result = metrics.refresh_due_metrics(now=now)

    assert (result.claimed, result.snapshots, result.calls) == (2, 2, 2)
    for target in targets:
        [expected] = publishing.client_for_account(target.account).fetch_metrics(
            [target.external_id]
        )
        [snapshot] = MetricSnapshot.objects.filter(target=target)
        tracked = row(target)
        figures = ("impressions", "likes", "replies", "shares", "quotes", "bookmarks")
        for name in figures:
            assert getattr(snapshot, name) == getattr(tracked, name) == getattr(expected, name)
        assert tracked.impressions > 0 and tracked.replies > 0
        assert tracked.engagements == (
            expected.likes + expected.replies + expected.shares + expected.quotes
        )
        assert snapshot.taken_at == tracked.measured_at == now
        assert snapshot.agency_id == tracked.agency_id == cast.agency.pk
        assert tracked.snapshot_count == 1


def test_one_call_reads_up_to_the_chunk_size_of_posts(cast, accounts, sandbox, settings):
    settings.BEAT_METRICS_IDS_PER_CALL = 2
    targets = [publish(cast, accounts.x, body=f"Road update {n}.")[0] for n in range(3)]
    calls = calls_to(accounts.x)

    result = metrics.refresh_due_metrics(now=last_published(targets) + 15 * MINUTE)

    assert result.snapshots == 3 and result.calls == 2
    sizes = [len(parse_qs(urlsplit(url).query)["ids"][0].split(",")) for url in calls]
    assert sizes == [2, 1]


def test_a_rate_limit_waits_for_the_reset_and_calls_the_account_no_more(
    cast, accounts, sandbox, settings
):
    settings.BEAT_METRICS_IDS_PER_CALL = 2
    x_targets = [publish(cast, accounts.x, body=f"Road update {n}.")[0] for n in range(3)]
    [fb_target] = publish(cast, accounts.fb)
    faults = sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 3600}})
    reset = datetime.fromtimestamp(faults["faults"]["rate_limit"]["reset"], tz=UTC)
    calls = calls_to(accounts.x)
    now = last_published([*x_targets, fb_target]) + 15 * MINUTE

    result = metrics.refresh_due_metrics(now=now)

    assert result.rate_limited == [accounts.x.pk]
    assert len(calls) == 1  # the second chunk was not sent
    assert all(row(t).next_refresh_at == reset for t in x_targets)
    assert not MetricSnapshot.objects.filter(target__in=x_targets).exists()
    assert row(fb_target).snapshot_count == 1  # other accounts carry on

    # Before the reset nothing of the account is due, so nothing is sent.
    assert metrics.refresh_due_metrics(now=now + MINUTE).claimed == 0
    assert len(calls) == 1

    sandbox.call("DELETE", f"/_sandbox/accounts/x/{X_ID}/faults")
    metrics.refresh_due_metrics(now=reset + MINUTE)
    assert MetricSnapshot.objects.filter(target__in=x_targets).count() == 3
    assert len(calls) == 3


def test_an_expired_token_marks_the_account_and_waits_a_day(cast, accounts, sandbox):
    [target] = publish(cast, accounts.x)
    sandbox.faults("x", X_ID, {"token_expired": True})
    now = target.published_at + 15 * MINUTE

    result = metrics.refresh_due_metrics(now=now)

    assert result.auth_expired == [accounts.x.pk]
    accounts.x.refresh_from_db()
    assert accounts.x.status == PlatformAccountStatus.NEEDS_REAUTH
    event = AuditEvent.objects.get(action="accounts.platform_account.status_changed")
    assert event.agency_id == cast.agency.pk and event.data["to"] == "needs_reauth"
    assert row(target).next_refresh_at == now + DAY
    assert not MetricSnapshot.objects.exists()

    # An account that needs reconnecting is not called; its rows wait.
    calls = calls_to(accounts.x)
    later = now + 2 * DAY
    parked = metrics.refresh_due_metrics(now=later)
    assert parked.parked == 1 and parked.claimed == 0 and calls == []
    assert row(target).next_refresh_at == later + timedelta(hours=1)


def test_a_server_error_backs_off_and_the_next_run_reads(cast, accounts, sandbox):
    [target] = publish(cast, accounts.fb)
    sandbox.faults("facebook", FB_ID, {"error_5xx": 1})
    now = target.published_at + 15 * MINUTE

    assert metrics.refresh_due_metrics(now=now).failed == [accounts.fb.pk]
    assert row(target).next_refresh_at == now + 5 * MINUTE
    assert row(target).snapshot_count == 0

    assert metrics.refresh_due_metrics(now=now + 5 * MINUTE).snapshots == 1


def test_posts_gone_from_the_platform_are_collected_no_more(cast, accounts, sandbox):
    kept = publish(cast, accounts.x, accounts.fb, body="Still up.")
    by_hand = publish(cast, accounts.x, accounts.fb, body="Deleted on the platform by hand.")
    for target in by_hand:
        publishing.client_for_account(target.account).delete(target.external_id)

    result = metrics.refresh_due_metrics(now=last_published(kept + by_hand) + 15 * MINUTE)

    assert result.stopped == 2 and result.snapshots == 2
    for target in by_hand:
        assert row(target).next_refresh_at is None and row(target).snapshot_count == 0
    for target in kept:
        assert row(target).snapshot_count == 1 and row(target).next_refresh_at is not None


def test_a_post_deleted_through_beat_stops_without_asking_the_platform(cast, accounts, sandbox):
    [target] = publish(cast, accounts.x)
    workflow.post_delete_from_platforms(post=target.post, by=cast.supervisor, reason="Wrong road")
    calls = calls_to(accounts.x)

    result = metrics.refresh_due_metrics(now=target.published_at + 15 * MINUTE)

    assert result.stopped == 1 and calls == []
    assert row(target).next_refresh_at is None


def test_a_limit_bounds_the_rows_claimed_per_run(cast, accounts, sandbox):
    targets = [publish(cast, accounts.x, body=f"Road update {n}.")[0] for n in range(3)]
    now = last_published(targets) + 15 * MINUTE

    assert metrics.refresh_due_metrics(now=now, limit=2).snapshots == 2
    assert metrics.refresh_due_metrics(now=now, limit=2).snapshots == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_workers_read_each_post_once(cast, accounts, sandbox):
    targets = [
        t for n in range(3) for t in publish(cast, accounts.x, accounts.fb, body=f"Update {n}.")
    ]
    TargetMetrics.objects.update(next_refresh_at=timezone.now() - MINUTE)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            metrics.refresh_due_metrics()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)

    assert not errors
    assert MetricSnapshot.objects.count() == len(targets)
    assert set(TargetMetrics.objects.values_list("snapshot_count", flat=True)) == {1}


# -- account audiences ------------------------------------------------------------------------


def at_ten_today() -> datetime:
    return datetime.combine(timezone.now().astimezone(UTC).date(), time(10), tzinfo=UTC)


def test_account_audiences_are_taken_once_a_day(cast, accounts, sandbox):
    now = at_ten_today()

    first = metrics.snapshot_accounts(now=now)

    assert sorted(first.taken) == sorted([accounts.x.pk, accounts.fb.pk])
    for account in (accounts.x, accounts.fb):
        snapshot = AccountSnapshot.objects.get(account=account)
        live = publishing.client_for_account(account).fetch_account_stats()
        assert abs(snapshot.followers - live.followers) <= 1  # wall time moves on in the sandbox
        assert snapshot.following == live.following
        assert snapshot.taken_on == now.date() and snapshot.taken_at == now
        assert snapshot.agency_id == cast.agency.pk

    calls = calls_to(accounts.x)
    again = metrics.snapshot_accounts(now=now + timedelta(hours=1))
    assert again.taken == [] and calls == []
    assert AccountSnapshot.objects.count() == 2

    tomorrow = metrics.snapshot_accounts(now=now + DAY)
    assert len(tomorrow.taken) == 2 and len(calls) == 1
    assert sorted(AccountSnapshot.objects.values_list("taken_on", flat=True).distinct()) == [
        now.date(),
        (now + DAY).date(),
    ]


def _message(account, author_id, handle, at, direction=Direction.INBOUND) -> Message:
    conversation, _created = Conversation.objects.get_or_create(
        account=account,
        root_external_id="thread-1",
        defaults={
            "agency_id": account.agency_id,
            "platform": account.platform,
            "last_activity_at": at,
            "first_inbound_at": at,
        },
    )
    return Message.objects.create(
        agency_id=account.agency_id,
        conversation=conversation,
        platform=account.platform,
        external_id=f"{account.pk}-{Message.objects.count()}",
        author_external_id=author_id,
        author_handle=handle,
        created_at=at,
        direction=direction,
        kind=MessageKind.REPLY,
    )


def test_engaged_people_are_distinct_inbound_authors_of_the_account_in_30_days(
    cast, accounts, bravo_x, sandbox, django_assert_num_queries
):
    now = at_ten_today()
    for author, handle, age in [
        ("a1", "ann", DAY),
        ("a1", "ann", 2 * DAY),  # the same person again
        ("b1", "bob", 29 * DAY),
        ("", "carol", 3 * DAY),  # no platform id: counted by handle
        ("", "carol", 4 * DAY),
        ("", "", DAY),  # nobody to count
        ("o1", "old", 31 * DAY),  # before the window
        ("f1", "late", -timedelta(hours=1)),  # after the snapshot
    ]:
        _message(accounts.x, author, handle, now - age)
    _message(accounts.x, X_ID, "alphapolice", now - DAY, direction=Direction.OUTBOUND)
    _message(accounts.fb, "a1", "", now - DAY)  # the same person on the page counts there
    _message(accounts.fb, "d1", "", now - DAY)
    _message(bravo_x, "e1", "eve", now - DAY)  # another agency's account

    with django_assert_num_queries(1):
        assert metrics.engaged_people(account=accounts.x, at=now) == 3

    metrics.snapshot_accounts(now=now)
    engaged = dict(AccountSnapshot.objects.values_list("account_id", "engaged_people"))
    assert engaged == {accounts.x.pk: 3, accounts.fb.pk: 2, bravo_x.pk: 1}
    agencies = dict(AccountSnapshot.objects.values_list("account_id", "agency_id"))
    assert agencies[bravo_x.pk] == bravo_x.agency_id != cast.agency.pk


def test_a_throttled_account_is_snapshotted_on_a_later_run(cast, accounts, sandbox):
    now = at_ten_today()
    sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 600}})

    first = metrics.snapshot_accounts(now=now)

    assert first.rate_limited == [accounts.x.pk] and first.taken == [accounts.fb.pk]
    sandbox.call("DELETE", f"/_sandbox/accounts/x/{X_ID}/faults")
    assert metrics.snapshot_accounts(now=now + timedelta(hours=1)).taken == [accounts.x.pk]


def test_an_expired_token_on_a_snapshot_marks_the_account(cast, accounts, sandbox):
    now = at_ten_today()
    sandbox.faults("facebook", FB_ID, {"token_expired": True})

    result = metrics.snapshot_accounts(now=now)

    assert result.auth_expired == [accounts.fb.pk] and result.taken == [accounts.x.pk]
    accounts.fb.refresh_from_db()
    assert accounts.fb.status == PlatformAccountStatus.NEEDS_REAUTH
    # Not called again while it needs reconnecting.
    assert metrics.snapshot_accounts(now=now + DAY).auth_expired == []


# -- agencies and beat ------------------------------------------------------------------------


def test_everything_written_belongs_to_the_targets_agency(cast, other, accounts, bravo_x, sandbox):
    targets = [*publish(cast, accounts.x, accounts.fb), *publish(other, bravo_x)]
    now = last_published(targets) + 15 * MINUTE

    metrics.refresh_due_metrics(now=now)
    metrics.snapshot_accounts(now=now)

    for tracked in TargetMetrics.objects.select_related("target", "account"):
        assert tracked.agency_id == tracked.target.agency_id == tracked.account.agency_id
    for snapshot in MetricSnapshot.objects.select_related("target"):
        assert snapshot.agency_id == snapshot.target.agency_id
    for snapshot in AccountSnapshot.objects.select_related("account"):
        assert snapshot.agency_id == snapshot.account.agency_id
    assert MetricSnapshot.objects.filter(agency=other.agency).count() == 1
    assert AccountSnapshot.objects.filter(agency=other.agency).count() == 1
    assert MetricSnapshot.objects.filter(agency=cast.agency).count() == 2


def test_beat_runs_the_collection_tasks(cast, accounts, sandbox):
    from config.celery import app

    schedule = {e["task"]: e for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    names = ("engagement.refresh_metrics", "engagement.track_published")
    for name in (*names, "engagement.snapshot_accounts"):
        assert name in app.tasks
        # A run that waited longer than its interval is dropped, not run late on top of the next.
        assert schedule[name]["options"]["expires"] < schedule[name]["schedule"]
    assert schedule["engagement.refresh_metrics"]["schedule"] == 60.0
    assert schedule["engagement.snapshot_accounts"]["schedule"] == 3600.0

    publish(cast, accounts.x)
    TargetMetrics.objects.update(next_refresh_at=timezone.now() - MINUTE)

    assert tasks.refresh_metrics.apply().get() == 1
    assert tasks.track_published.apply().get() == 0
    assert tasks.snapshot_accounts.apply().get() == 2
