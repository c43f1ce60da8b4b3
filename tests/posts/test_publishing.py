"""The publishing engine, through the real tweepy and pyfacebook clients and the sandbox."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Notification, PlatformAccountStatus
from posts import publishing
from posts.models import PostStatus, PostTarget, TargetStatus
from posts.services import post_create
from tests.posts.conftest import FB_ID, X_ID


def approved_post(cast, accounts, body="Lost dog reunited with owner on the harbour wall."):
    post = post_create(
        agency=cast.agency, author=cast.officer, body=body, status=PostStatus.APPROVED
    )
    post.accounts.set(accounts)
    return post


def run_due(now=None) -> list[str]:
    """One dispatcher pass, then each queued task run as a worker would."""
    return [publishing.target_publish(target_id=pk) for pk in publishing.dispatch_due(now=now)]


def published_texts(sandbox, platform, external_id):
    return [p["text"] for p in sandbox.posts(platform, external_id)]


def test_a_due_post_is_published_once_to_each_platform(cast, accounts, sandbox):
    post = approved_post(cast, accounts)
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    assert sorted(run_due()) == ["published", "published"]
    assert run_due() == []  # nothing left to do
    assert published_texts(sandbox, "x", X_ID) == [post.body]
    assert published_texts(sandbox, "facebook", FB_ID) == [post.body]
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    targets = list(post.targets.all())
    assert all(t.status == TargetStatus.PUBLISHED and t.external_id for t in targets)


def test_a_future_post_waits_for_its_time(cast, accounts, sandbox):
    post = approved_post(cast, accounts)
    at = timezone.now() + timedelta(hours=2)
    publishing.post_schedule(post=post, by=cast.supervisor, at=at)
    assert run_due() == []
    assert sorted(run_due(now=at + timedelta(seconds=1))) == ["published", "published"]


def test_only_approved_posts_can_be_scheduled(cast, accounts):
    post = post_create(agency=cast.agency, author=cast.officer, body="draft")
    with pytest.raises(ValueError, match="approved"):
        publishing.post_schedule(
            post=post, by=cast.supervisor, at=timezone.now(), accounts=accounts
        )


def test_a_redelivered_task_does_not_publish_twice(cast, accounts, sandbox):
    post = approved_post(cast, accounts[:1])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    (target_id,) = publishing.dispatch_due()
    assert publishing.target_publish(target_id=target_id) == "published"
    assert publishing.target_publish(target_id=target_id) == "skipped"
    assert len(published_texts(sandbox, "x", X_ID)) == 1


def test_rate_limit_reset_is_honoured(cast, accounts, sandbox):
    x, _fb = accounts
    reply = sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 2}})
    reset = datetime.fromtimestamp(reply["faults"]["rate_limit"]["reset"], tz=UTC)
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    assert run_due() == ["retry"]
    target = PostTarget.objects.get(post=post)
    assert target.status == TargetStatus.PENDING
    assert target.next_attempt_at == reset
    # Before the reset the dispatcher sends nothing.
    assert publishing.dispatch_due() == []
    assert published_texts(sandbox, "x", X_ID) == []
    time.sleep(max(0.0, (reset - timezone.now()).total_seconds()) + 0.05)
    assert run_due() == ["published"]
    assert run_due() == []
    assert published_texts(sandbox, "x", X_ID) == [post.body]


def test_a_rate_limit_holds_back_the_accounts_other_posts_too(cast, accounts, sandbox):
    x, _fb = accounts
    reply = sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 30}})
    reset = datetime.fromtimestamp(reply["faults"]["rate_limit"]["reset"], tz=UTC)
    first, second = approved_post(cast, [x], "first"), approved_post(cast, [x], "second")
    publishing.post_schedule(
        post=first, by=cast.supervisor, at=timezone.now() - timedelta(seconds=1)
    )
    publishing.post_schedule(
        post=second, by=cast.supervisor, at=timezone.now() + timedelta(seconds=1)
    )
    publishing.target_publish(target_id=publishing.dispatch_due()[0])
    assert PostTarget.objects.get(post=second).next_attempt_at == reset


def test_a_5xx_backs_off_with_jitter_then_publishes_once(cast, accounts, sandbox, settings):
    settings.BEAT_PUBLISH_BACKOFF_BASE_SECONDS = 10
    x, _fb = accounts
    sandbox.faults("x", X_ID, {"error_5xx": 1})
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    before = timezone.now()
    assert run_due() == ["retry"]
    target = PostTarget.objects.get(post=post)
    assert target.needs_reconcile and target.attempts == 1
    assert (
        before + timedelta(seconds=5)
        <= target.next_attempt_at
        <= timezone.now() + timedelta(seconds=10)
    )
    assert run_due() == []  # not before the backoff
    assert run_due(now=target.next_attempt_at) == ["published"]
    assert published_texts(sandbox, "x", X_ID) == [post.body]


def test_backoff_grows_exponentially_and_is_capped(settings):
    settings.BEAT_PUBLISH_BACKOFF_BASE_SECONDS = 10
    settings.BEAT_PUBLISH_BACKOFF_CAP_SECONDS = 100
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        samples = [publishing._backoff(attempt).total_seconds() for _ in range(50)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len(set(samples)) > 1  # jittered


def test_a_timeout_after_the_platform_took_the_post_is_not_sent_twice(
    cast, accounts, sandbox, settings
):
    """The ambiguous case: the platform accepted the post but our client gave up waiting."""
    settings.BEAT_PLATFORM_TIMEOUT_SECONDS = 1
    x, _fb = accounts
    sandbox.faults("x", X_ID, {"slow_ms": 1500})
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    assert run_due() == ["retry"]
    time.sleep(0.8)  # the sandbox finishes storing the post after our timeout
    sandbox.call("DELETE", f"/_sandbox/accounts/x/{X_ID}/faults")
    target = PostTarget.objects.get(post=post)
    assert run_due(now=target.next_attempt_at) == ["published"]
    assert published_texts(sandbox, "x", X_ID) == [post.body]
    assert PostTarget.objects.get(post=post).external_id


def test_transient_failures_give_up_after_the_last_attempt_and_tell_people(
    cast, accounts, sandbox, settings
):
    settings.BEAT_PUBLISH_MAX_ATTEMPTS = 3
    x, _fb = accounts
    sandbox.faults("x", X_ID, {"error_5xx": 10})
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    outcomes = []
    for _ in range(3):
        target = PostTarget.objects.get(post=post)
        outcomes += run_due(now=max(target.next_attempt_at, timezone.now()))
    assert outcomes == ["retry", "retry", "failed"]
    target = PostTarget.objects.get(post=post)
    assert target.status == TargetStatus.FAILED and "after 3 attempts" in target.last_error
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    told = set(Notification.objects.values_list("user__email", flat=True))
    assert told == {cast.officer.email, cast.supervisor.email, cast.admin.email}


def test_an_expired_token_fails_the_target_and_marks_the_account(cast, accounts, sandbox):
    x, fb = accounts
    sandbox.faults("facebook", FB_ID, {"token_expired": True})
    post = approved_post(cast, [x, fb])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    assert sorted(run_due()) == ["failed", "published"]
    fb.refresh_from_db()
    assert fb.status == PlatformAccountStatus.NEEDS_REAUTH
    failed = PostTarget.objects.get(post=post, account=fb)
    assert "reconnect" in failed.last_error
    post.refresh_from_db()
    assert post.status == PostStatus.PARTLY_FAILED
    note = Notification.objects.get(user=cast.officer)
    assert note.link == f"/posts/{post.pk}/" and "Not published" in note.message


def test_a_permanent_rejection_keeps_the_platforms_message(cast, accounts, sandbox):
    x, _fb = accounts
    post = approved_post(cast, [x], body="x" * 300)
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    assert run_due() == ["failed"]
    target = PostTarget.objects.get(post=post)
    assert "too long" in target.last_error
    assert published_texts(sandbox, "x", X_ID) == []


def _claim_and_expire(target_id):
    token, _target, _has_media = publishing._claim(target_id, from_status=TargetStatus.QUEUED)
    PostTarget.objects.filter(pk=target_id).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    return token


def test_worker_killed_after_the_platform_took_the_post_is_reconciled_as_published(
    cast, accounts, sandbox
):
    x, _fb = accounts
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    (target_id,) = publishing.dispatch_due()
    _claim_and_expire(target_id)
    # The dead worker's call reached the platform before it died.
    publishing.client_for_account(x).publish(post.body)
    assert publishing.dispatch_due() == []  # nothing is sent again...
    assert publishing.target_reconcile(target_id=target_id) == "published"  # ...it is found
    assert published_texts(sandbox, "x", X_ID) == [post.body]
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_worker_killed_before_the_call_is_requeued_and_published_once(cast, accounts, sandbox):
    x, _fb = accounts
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    (target_id,) = publishing.dispatch_due()
    _claim_and_expire(target_id)
    publishing.dispatch_due()  # hands the expired lease to the reconciler
    assert publishing.target_reconcile(target_id=target_id) == "requeued"
    assert run_due() == ["published"]
    assert published_texts(sandbox, "x", X_ID) == [post.body]


def test_a_live_worker_past_its_lease_cannot_overwrite_the_reconcilers_decision(
    cast, accounts, sandbox
):
    x, _fb = accounts
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    (target_id,) = publishing.dispatch_due()
    old_token = _claim_and_expire(target_id)
    publishing.dispatch_due()
    publishing.target_reconcile(target_id=target_id)
    target = PostTarget.objects.get(pk=target_id)
    assert publishing._record_failure(target, old_token, "late worker") == "skipped"
    assert PostTarget.objects.get(pk=target_id).status == TargetStatus.PENDING


def test_a_queued_target_whose_message_was_lost_is_enqueued_again(cast, accounts, settings):
    settings.BEAT_QUEUED_STALE_SECONDS = 60
    x, _fb = accounts
    post = approved_post(cast, [x])
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    (target_id,) = publishing.dispatch_due()
    assert publishing.dispatch_due() == []
    assert publishing.dispatch_due(now=timezone.now() + timedelta(seconds=61)) == [target_id]


def test_one_dispatcher_run_drains_a_burst_larger_than_its_batch(cast, accounts, settings):
    settings.BEAT_DISPATCH_BATCH = 2
    x, _fb = accounts
    for i in range(5):
        post = approved_post(cast, [x], body=f"Road closure update {i}.")
        publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    assert len(publishing.dispatch_due()) == 5
    assert not PostTarget.objects.exclude(status=TargetStatus.QUEUED).exists()


def test_the_beat_task_path_publishes_after_commit(
    cast, accounts, sandbox, settings, django_capture_on_commit_callbacks
):
    from posts.tasks import dispatch_due

    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        post = approved_post(cast, list(accounts))
        publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert dispatch_due.apply().get() == 2
        assert len(callbacks) == 1  # enqueued only after the claim committed
    finally:
        app.conf.task_always_eager = False
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_a_target_due_between_two_beat_runs_gets_a_dispatcher_run_at_its_time(
    cast, accounts, settings, monkeypatch
):
    from posts import tasks

    settings.BEAT_DISPATCH_EVERY_SECONDS = 5
    sent = []
    monkeypatch.setattr(
        tasks.dispatch_due, "apply_async", lambda args=(), **options: sent.append((args, options))
    )
    x, fb = accounts
    soon = timezone.now() + timedelta(seconds=2)
    publishing.post_schedule(post=approved_post(cast, [x]), by=cast.supervisor, at=soon)
    later = timezone.now() + timedelta(seconds=30)
    publishing.post_schedule(
        post=approved_post(cast, [fb], body="Later."), by=cast.supervisor, at=later
    )

    assert tasks.dispatch_due() == 0  # beat's run: nothing due yet
    assert sent == [((False,), {"eta": soon})]  # one more run, at the first target's time

    sent.clear()
    assert tasks.dispatch_due(False) == 0  # that run sends no other
    assert sent == []

    PostTarget.objects.filter(next_attempt_at=soon).update(next_attempt_at=later)
    assert publishing.next_due_before_next_run() is None  # beat's own run is in time for it
    assert publishing.next_due_before_next_run(now=later - timedelta(seconds=1)) == later


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_workers_publish_each_target_exactly_once(cast, accounts, sandbox):
    """Many workers and dispatchers at once, on PostgreSQL's row locks: every target once."""
    x, fb = accounts
    posts = [approved_post(cast, [x, fb], body=f"Race post number {i}") for i in range(40)]
    now = timezone.now()
    for post in posts:
        publishing.post_schedule(post=post, by=cast.supervisor, at=now)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        try:
            for _ in range(30):
                ids = publishing.dispatch_due(limit=7)
                # Each id is also tried by a "redelivered" duplicate message.
                for pk in ids + ids[:2]:
                    result = publishing.target_publish(target_id=pk)
                    with lock:
                        outcomes.append(result)
                if (
                    not ids
                    and not PostTarget.objects.exclude(status=TargetStatus.PUBLISHED).exists()
                ):
                    break
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert outcomes.count("published") == 80
    stats = sandbox.call("GET", "/_sandbox/stats")
    assert stats["publishes"] == 80 and stats["duplicates"] == 0
    assert set(PostTarget.objects.values_list("status", flat=True)) == {TargetStatus.PUBLISHED}


def test_a_worker_reuses_an_accounts_client_until_its_credentials_change(cast, accounts, sandbox):
    from accounts.crypto import encrypt_json

    x, _fb = accounts
    first = publishing.client_for_account(x)
    assert publishing.client_for_account(x) is first  # same thread, same credentials
    x.credentials_ciphertext = encrypt_json({**x.get_credentials(), "access_token": "rotated"})
    assert publishing.client_for_account(x) is not first


def test_a_client_is_not_shared_between_threads(cast, accounts):
    x, _fb = accounts
    mine = publishing.client_for_account(x)
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(publishing.client_for_account(x)))
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine
