"""Collecting engagement analytics: the metrics of our published posts, and account audiences.

- `track_target` starts collecting a target's metrics. The publishing engine calls it in the
  transaction that records the target published, so the row exists exactly when the target
  is published; `track_recent_targets` (beat) is the safety net for targets published in the
  last 30 days without one (published before collection existed, say).
- `refresh_due_metrics` (beat, every minute) reads the posts whose `TargetMetrics.next_refresh_at`
  is due, account by account, up to 100 posts per platform call, appends one `MetricSnapshot`
  per post and moves the row's latest figures and its next reading (`next_refresh_after`):
  every 15 minutes in the post's first day, then daily, and never again once it is 30 days old.
- `snapshot_accounts` (beat, hourly) stores each active account's followers once per UTC day,
  with the number of distinct people who wrote to it in the 30 days before.

Claims follow the publishing engine's pattern: due rows are selected with `FOR UPDATE SKIP
LOCKED` on PostgreSQL and leased by moving `next_refresh_at` to now + lease, in one short
transaction; the platform is called outside any transaction; a reading is stored only for rows
that still hold that lease (the lease time is the claim token), so a worker that outlived its
lease cannot overwrite a newer reading, and rows of a worker that died come due again.

Readings are measurements, not decisions: like the engine's claims they write no audit event (each
would take the audit chain's head). An expired token marks the account as needing
re-authorisation through `platform_account_set_status`, which is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from accounts.models import Agency, PlatformAccount, PlatformAccountStatus
from accounts.services import platform_account_set_status
from config import sql
from config.tuning import int_setting
from engagement.models import AccountSnapshot, Direction, Message, MetricSnapshot, TargetMetrics
from platforms.base import AccountStats, AuthExpired, PlatformError, RateLimited, Rejected
from posts.models import Post, PostKind, PostTarget, TargetStatus
from posts.publishing import client_for_account

log = logging.getLogger(__name__)

# The collection schedule (see TargetMetrics): often while a post is young, daily after that.
YOUNG = timedelta(hours=24)
YOUNG_EVERY = timedelta(minutes=15)
COLLECT_FOR = timedelta(days=30)
MATURE_EVERY = timedelta(days=1)
# An account's engaged people are the distinct authors who wrote to it in this window.
ENGAGED_WINDOW = timedelta(days=30)
# X's GET /2/tweets takes at most 100 ids; a Facebook reading is per post whatever the chunk.
MAX_IDS_PER_CALL = 100
# The sweep looks at posts scheduled up to this long before the 30 days: a target is published
# when its post's scheduled time comes, or a little later after a rate limit or a retry.
SCHEDULE_SLACK = timedelta(days=2)
# A disconnected account's due rows wait this long before they are looked at again.
INACTIVE_WAIT = timedelta(hours=1)
AUTH_EXPIRED_WAIT = timedelta(days=1)

FIGURES = ("impressions", "likes", "replies", "shares", "quotes", "bookmarks")


def young_every() -> timedelta:
    """How often a post is read in its first day: 15 minutes (`BEAT_METRICS_YOUNG_EVERY_SECONDS`
    shortens it for the browser tests, which cannot wait a quarter of an hour)."""
    return timedelta(seconds=int_setting("BEAT_METRICS_YOUNG_EVERY_SECONDS", 0)) or YOUNG_EVERY


def next_refresh_after(*, published_at: datetime, at: datetime) -> datetime | None:
    """When to read a post's metrics next after reading them at `at`.

    Younger than a day: in 15 minutes. Younger than 30 days: in a day. Older: never.
    """
    age = at - published_at
    if age < YOUNG:
        return at + young_every()
    if age < COLLECT_FOR:
        return at + MATURE_EVERY
    return None


# --- Tracking published targets ---------------------------------------------------------------


def _new_row(target: PostTarget, post: Post, published_at: datetime) -> TargetMetrics:
    return TargetMetrics(
        target_id=target.pk,
        agency_id=target.agency_id,
        account_id=target.account_id,
        post_id=target.post_id,
        platform=target.account.platform,
        style=post.style,
        published_at=published_at,
        next_refresh_at=published_at + young_every(),
    )


def track_target(*, target: PostTarget, published_at: datetime | None = None) -> bool:
    """Start collecting the metrics of a target just published: first reading 15 minutes later.

    Replies sent from the inbox are not tracked (returns False). Idempotent: a target already
    tracked keeps its row. Part of the caller's transaction (the engine's record of the
    publish); `published_at` is the time being recorded, when the instance does not hold it yet.
    """
    post = target.post
    if post.kind == PostKind.REPLY:
        return False
    at = published_at or target.published_at
    if at is None:
        raise ValueError("A target is tracked once it is published.")
    # On the publishing hot path: one prepared INSERT rather than the ORM's bulk_create.
    sql.insert([_new_row(target, post, at)], ignore_conflicts=True, defer=True)
    return True


def track_recent_targets(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Create the missing `TargetMetrics` rows of targets published in the last 30 days.

    The safety net behind `track_target`. Agency by agency, the posts scheduled in the window
    (the (agency, scheduled_at) index), then their published targets without a row (the unique
    (post, account) index and the rows' primary key). At most `limit` rows per run; returns how
    many were created.
    """
    now = now or timezone.now()
    limit = limit or int_setting("BEAT_METRICS_TRACK_BATCH", 500)
    since = now - COLLECT_FOR
    created = 0
    for agency_id in Agency.objects.order_by("pk").values_list("pk", flat=True):
        posts = Post.objects.filter(
            agency_id=agency_id, scheduled_at__gte=since - SCHEDULE_SLACK
        ).exclude(kind=PostKind.REPLY)
        targets = list(
            PostTarget.objects.filter(
                post__in=posts.values("pk"),
                status=TargetStatus.PUBLISHED,
                published_at__gte=since,
                metrics__isnull=True,
            )
            .select_related("post", "account")
            .order_by("pk")[: limit - created]
        )
        if targets:
            TargetMetrics.objects.bulk_create(
                [_new_row(t, t.post, t.published_at) for t in targets if t.published_at],
                ignore_conflicts=True,
            )
            created += len(targets)
        if created >= limit:
            break
    return created


# --- Refreshing post metrics ------------------------------------------------------------------


@dataclass
class RefreshResult:
    """What one `refresh_due_metrics` run did, for logs and tests."""

    claimed: int = 0
    snapshots: int = 0
    # Rows collected no more: the platform no longer has the post, or the target was deleted.
    stopped: int = 0
    calls: int = 0
    rate_limited: list[int] = field(default_factory=list)  # account ids
    auth_expired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    parked: int = 0  # due rows of accounts that are not active, left for later


@dataclass(frozen=True)
class _Claimed:
    pk: int
    external_id: str
    published: bool


def _locked(queryset: QuerySet[TargetMetrics]) -> QuerySet[TargetMetrics]:
    # As posts.publishing: SKIP LOCKED lets several workers share the due rows without waiting;
    # `of` keeps the lock off the joined target. SQLite serialises writers instead.
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def refresh_due_metrics(*, now: datetime | None = None, limit: int | None = None) -> RefreshResult:
    """Read the metrics of the published targets whose next reading is due.

    Account by account (active accounts only), up to `limit` rows in all: claim the due rows
    (and those due within `BEAT_METRICS_COALESCE_SECONDS`, which the same calls carry at no extra
    cost), call `fetch_metrics` once per 100 ids, and store each call's readings in one
    transaction. A post the platform no longer returns, or a target deleted from the platform, is
    collected no more. On a rate limit the account's rows wait for the platform's reset and the
    account is not called again in this run; an expired token marks the account as needing
    re-authorisation and its rows wait a day; any other platform error backs its rows off.
    """
    fixed = now
    now = now or timezone.now()
    budget = limit or int_setting("BEAT_METRICS_BATCH", 500)
    result = RefreshResult()
    due_accounts = set(
        TargetMetrics.objects.filter(next_refresh_at__lte=now)
        .values_list("account_id", flat=True)
        .distinct()
    )
    if not due_accounts:
        return result
    accounts = list(
        PlatformAccount.objects.filter(pk__in=due_accounts).select_related("agency").order_by("pk")
    )
    horizon = now + timedelta(seconds=int_setting("BEAT_METRICS_COALESCE_SECONDS", 300))
    lease_for = timedelta(seconds=int_setting("BEAT_METRICS_LEASE_SECONDS", 600))
    inactive = [a.pk for a in accounts if a.status != PlatformAccountStatus.ACTIVE]
    if inactive:
        result.parked = _park(inactive, now)
    for account in accounts:
        if budget <= 0:
            break
        if account.status != PlatformAccountStatus.ACTIVE:
            continue
        # Each account's lease starts when it is claimed; past the horizon, or the next run
        # would take the leased rows for rows due soon.
        lease = max((fixed or timezone.now()) + lease_for, horizon + timedelta(minutes=1))
        claimed = _claim(account.pk, horizon, budget, lease)
        budget -= len(claimed)
        result.claimed += len(claimed)
        _refresh_account(account, claimed, lease, now, fixed, result)
    return result


def _park(account_ids: Sequence[int], now: datetime) -> int:
    """Due rows of accounts that are not active: past their 30 days they stop, others wait."""
    due = TargetMetrics.objects.filter(account_id__in=account_ids, next_refresh_at__lte=now)
    with transaction.atomic():
        stopped = due.filter(published_at__lt=now - COLLECT_FOR).update(next_refresh_at=None)
        waiting = due.update(next_refresh_at=now + INACTIVE_WAIT)
    return stopped + waiting


def _claim(account_id: int, horizon: datetime, limit: int, lease: datetime) -> list[_Claimed]:
    """Lease up to `limit` of the account's rows due by `horizon`: their next reading moves to
    `lease`, which is also the claim's token."""
    with transaction.atomic():
        rows = list(
            _locked(
                TargetMetrics.objects.filter(account_id=account_id, next_refresh_at__lte=horizon)
            )
            .order_by("next_refresh_at", "pk")
            .values_list("pk", "target__external_id", "target__status")[:limit]
        )
        if rows:
            TargetMetrics.objects.filter(
                pk__in=[pk for pk, _e, _s in rows], next_refresh_at__lte=horizon
            ).update(next_refresh_at=lease)
    return [
        _Claimed(pk=pk, external_id=ext, published=status == TargetStatus.PUBLISHED and bool(ext))
        for pk, ext, status in rows
    ]


def _refresh_account(
    account: PlatformAccount,
    claimed: list[_Claimed],
    lease: datetime,
    now: datetime,
    fixed: datetime | None,
    result: RefreshResult,
) -> None:
    live = [c for c in claimed if c.published]
    gone = [c for c in claimed if not c.published]
    if gone:
        result.stopped += _record(gone, {}, lease, fixed or timezone.now()).stopped
    size = max(1, min(MAX_IDS_PER_CALL, int_setting("BEAT_METRICS_IDS_PER_CALL", MAX_IDS_PER_CALL)))
    chunks = [live[i : i + size] for i in range(0, len(live), size)]
    for index, chunk in enumerate(chunks):
        waiting = [c.pk for rest in chunks[index:] for c in rest]
        try:
            client = client_for_account(account)
            result.calls += 1
            readings = client.fetch_metrics([c.external_id for c in chunk])
        except RateLimited as exc:
            # Nothing more for this account before the reset, whoever holds the row.
            _defer(waiting, lease, exc.retry_at, account_id=account.pk)
            result.rate_limited.append(account.pk)
            return
        except AuthExpired as exc:
            _account_needs_reauth(account, str(exc))
            _defer(waiting, lease, now + AUTH_EXPIRED_WAIT, account_id=account.pk)
            result.auth_expired.append(account.pk)
            return
        except Rejected as exc:
            # Permanent for this request; try again later rather than every minute.
            log.warning("metrics of %s refused: %s", account, exc)
            _defer(waiting, lease, now + timedelta(hours=1))
            result.failed.append(account.pk)
            return
        except PlatformError as exc:
            log.info("metrics of %s unavailable: %s", account, exc)
            backoff = timedelta(seconds=int_setting("BEAT_METRICS_BACKOFF_SECONDS", 300))
            _defer(waiting, lease, now + backoff)
            result.failed.append(account.pk)
            return
        by_id = {m.external_id: m for m in readings}
        stored = _record(chunk, by_id, lease, fixed or timezone.now())
        result.snapshots += stored.snapshots
        result.stopped += stored.stopped


@dataclass
class _Stored:
    snapshots: int = 0
    stopped: int = 0


@transaction.atomic
def _record(chunk: Sequence[_Claimed], by_id: dict, lease: datetime, at: datetime) -> _Stored:
    """Store one call's readings for the rows that still hold `lease`; schedule the next."""
    external = {c.pk: c.external_id for c in chunk}
    rows = list(
        TargetMetrics.objects.select_for_update().filter(
            pk__in=list(external), next_refresh_at=lease
        )
    )
    stored = _Stored()
    snapshots = []
    for row in rows:
        reading = by_id.get(external[row.pk])
        if reading is None:
            row.next_refresh_at = None
            stored.stopped += 1
            continue
        values = {name: max(0, int(getattr(reading, name))) for name in FIGURES}
        snapshots.append(
            MetricSnapshot(target_id=row.pk, agency_id=row.agency_id, taken_at=at, **values)
        )
        for name, value in values.items():
            setattr(row, name, value)
        row.engagements = values["likes"] + values["replies"] + values["shares"] + values["quotes"]
        row.measured_at = at
        row.snapshot_count += 1
        row.next_refresh_at = next_refresh_after(published_at=row.published_at, at=at)
    MetricSnapshot.objects.bulk_create(snapshots)
    if rows:
        TargetMetrics.objects.bulk_update(
            rows,
            [*FIGURES, "engagements", "measured_at", "snapshot_count", "next_refresh_at"],
            batch_size=MAX_IDS_PER_CALL,
        )
    stored.snapshots = len(snapshots)
    return stored


@transaction.atomic
def _defer(
    pks: Sequence[int], lease: datetime, until: datetime, *, account_id: int | None = None
) -> None:
    """Give back leased rows, next due at `until`; with `account_id`, nothing of that account
    comes due before `until` either."""
    TargetMetrics.objects.filter(pk__in=pks, next_refresh_at=lease).update(next_refresh_at=until)
    if account_id is not None:
        TargetMetrics.objects.filter(account_id=account_id, next_refresh_at__lt=until).update(
            next_refresh_at=until
        )


@transaction.atomic
def _account_needs_reauth(account: PlatformAccount, message: str) -> None:
    """The platform refused the account's token: a human must reconnect it (as a publish or a
    pull does on the same error)."""
    locked = PlatformAccount.objects.select_for_update().select_related("agency").get(pk=account.pk)
    if locked.status == PlatformAccountStatus.ACTIVE:
        platform_account_set_status(
            account=locked, by=None, status=PlatformAccountStatus.NEEDS_REAUTH, reason=message
        )


# --- Account audiences ------------------------------------------------------------------------


@dataclass
class SnapshotResult:
    taken: list[int] = field(default_factory=list)  # account ids
    rate_limited: list[int] = field(default_factory=list)
    auth_expired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def engaged_people(*, account: PlatformAccount, at: datetime) -> int:
    """Distinct people who wrote to the account (replies, comments, mentions) in the 30 days up
    to `at`: by their platform id, or their handle where the platform gave no id. One query."""
    person = Coalesce(NullIf("author_external_id", Value("")), NullIf("author_handle", Value("")))
    return Message.objects.filter(
        agency_id=account.agency_id,
        conversation__account_id=account.pk,
        direction=Direction.INBOUND,
        created_at__gt=at - ENGAGED_WINDOW,
        created_at__lte=at,
    ).aggregate(n=Count(person, distinct=True))["n"]


def snapshot_accounts(*, now: datetime | None = None) -> SnapshotResult:
    """Store today's (UTC) audience of each active account that has no snapshot for today.

    One `fetch_account_stats` call per account, outside any transaction, then the snapshot
    with its engaged people in one transaction. Idempotent per day (unique account and day). An
    account the platform throttles or cannot answer for is left for the next run; an expired
    token marks the account as needing re-authorisation.
    """
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    taken_today = AccountSnapshot.objects.filter(account=OuterRef("pk"), taken_on=today)
    accounts = (
        PlatformAccount.objects.filter(status=PlatformAccountStatus.ACTIVE)
        .exclude(Exists(taken_today))
        .select_related("agency")
        .order_by("pk")
    )
    result = SnapshotResult()
    for account in accounts:
        try:
            stats = client_for_account(account).fetch_account_stats()
        except RateLimited:
            result.rate_limited.append(account.pk)
            continue
        except AuthExpired as exc:
            _account_needs_reauth(account, str(exc))
            result.auth_expired.append(account.pk)
            continue
        except PlatformError as exc:
            log.info("audience of %s unavailable: %s", account, exc)
            result.failed.append(account.pk)
            continue
        if account_snapshot_store(account=account, stats=stats, on=today, at=now):
            result.taken.append(account.pk)
    return result


@transaction.atomic
def account_snapshot_store(
    *, account: PlatformAccount, stats: AccountStats, on: date, at: datetime
) -> bool:
    """Store one day's audience of an account; False if that day already has one."""
    _snapshot, created = AccountSnapshot.objects.get_or_create(
        account=account,
        taken_on=on,
        defaults={
            "agency_id": account.agency_id,
            "taken_at": at,
            "followers": max(0, stats.followers),
            "following": max(0, stats.following),
            "engaged_people": engaged_people(account=account, at=at),
        },
    )
    return created
