"""Publishing services: schedule, dispatch, publish once, reconcile.

No post twice, no post lost (DESIGN.md, Publishing):
- the schedule is `PostTarget.next_attempt_at` in the database; beat runs `dispatch_due` every few
  seconds, which claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL), marks them queued and
  enqueues one task per row after commit;
- the task claims its row with a conditional update (queued -> publishing, with a fresh claim
  token and a lease) and calls the platform once;
- a publish is never blindly retried: after anything ambiguous (a timeout, a 5xx, a worker killed
  mid-call and found by its expired lease) the account's recent posts are searched for the text
  before it is ever sent again.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_batch, audit_record
from accounts.models import Agency, PlatformAccount, PlatformAccountStatus, Role, User
from accounts.services import notify, platform_account_set_status
from config import broker, sql
from config.tuning import int_setting
from platforms.base import (
    AuthExpired,
    Media,
    PlatformClient,
    RateLimited,
    Rejected,
    Unavailable,
)
from platforms.registry import client_for
from posts.models import (
    TARGET_DONE,
    Post,
    PostKind,
    PostMedia,
    PostStatus,
    PostTarget,
    TargetStatus,
)

log = logging.getLogger(__name__)


def lease_seconds() -> int:
    return int_setting("BEAT_PUBLISH_LEASE_SECONDS", 120)


_clients = threading.local()
CLIENT_CACHE_SIZE = 256


def client_for_account(account: PlatformAccount) -> PlatformClient:
    """The real client for an account, pointed at the base URL from settings.

    Clients are kept per thread (a requests session is not shared between threads) and
    reused while the account's credentials and the settings stay the same, so a worker keeps
    its connections to the platform open and does not decrypt and rebuild for every post.
    """
    timeout = int_setting("BEAT_PLATFORM_TIMEOUT_SECONDS", 15)
    key = (
        account.pk,
        account.credentials_ciphertext,
        tuple(sorted(settings.PLATFORM_BASE_URLS.items())),
        timeout,
    )
    cache: OrderedDict = getattr(_clients, "cache", None) or OrderedDict()
    _clients.cache = cache
    client = cache.get(key)
    if client is None:
        client = client_for(
            platform=account.platform,
            external_id=account.external_id,
            credentials=account.get_credentials(),
            base_urls=settings.PLATFORM_BASE_URLS,
            timeout=timeout,
        )
        cache[key] = client
        while len(cache) > CLIENT_CACHE_SIZE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return client


# --- Scheduling -----------------------------------------------------------------------------


@transaction.atomic
def post_schedule(
    *,
    post: Post,
    by: User,
    at: datetime,
    accounts: Iterable[PlatformAccount] | None = None,
) -> list[PostTarget]:
    """Schedule an approved post: one PostTarget per platform account, due at `at`.

    "Publish now" is the same call with `at` = now. Accounts default to those ticked on the post.
    """
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.status not in (PostStatus.APPROVED, PostStatus.SCHEDULED):
        raise ValueError(_("Only an approved post can be scheduled."))
    if timezone.is_naive(at):
        raise ValueError("Scheduled times must be timezone-aware.")
    chosen = list(accounts if accounts is not None else post.accounts.all())
    if not chosen:
        raise ValueError(_("Choose at least one account to publish to."))
    foreign = [a for a in chosen if a.agency_id != post.agency_id]
    if foreign:
        raise ValueError("An account belongs to another agency.")
    targets = []
    for account in chosen:
        target, created = PostTarget.objects.get_or_create(
            post=post,
            account=account,
            defaults={
                "agency_id": post.agency_id,
                "due_at": at,
                "next_attempt_at": at,
            },
        )
        if not created and target.status == TargetStatus.PENDING:
            # Rescheduling moves only what has not started.
            target.due_at = target.next_attempt_at = at
            target.updated_at = timezone.now()
            target.save(update_fields=["due_at", "next_attempt_at", "updated_at"])
        targets.append(target)
    post.status = PostStatus.SCHEDULED
    post.scheduled_at = at
    post.updated_at = timezone.now()
    post.save(update_fields=["status", "scheduled_at", "updated_at"])
    audit_record(
        action="posts.post.scheduled",
        actor=by,
        agency=post.agency,
        target=post,
        data={"at": at.isoformat(), "accounts": [a.pk for a in chosen]},
    )
    return targets


# --- Dispatcher -----------------------------------------------------------------------------


def _locked(queryset):
    # SKIP LOCKED lets several dispatchers (or a slow one and the next) share the work without
    # waiting on each other; SQLite has no row locks and serialises writers instead.
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def dispatch_due(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Claim due targets, mark them queued, enqueue one publish task each after commit.

    Also re-enqueues targets that sat queued for too long (a message lost with a broker restart)
    and hands targets whose publishing lease expired to the reconciler. Returns the ids queued.
    """
    from posts import tasks

    now = now or timezone.now()
    limit = limit or int_setting("BEAT_DISPATCH_BATCH", 500)
    stale = now - timedelta(seconds=int_setting("BEAT_QUEUED_STALE_SECONDS", 60))
    queued: list[int] = []
    # Batch after batch until nothing more is due, so a burst (thousands of posts due at one
    # moment) is queued in this run rather than over the next several.
    for _batch in range(int_setting("BEAT_DISPATCH_MAX_BATCHES", 20)):
        with transaction.atomic():
            due = list(
                _locked(
                    PostTarget.objects.filter(
                        Q(status=TargetStatus.PENDING, next_attempt_at__lte=now)
                        | Q(status=TargetStatus.QUEUED, queued_at__lt=stale)
                    ).order_by("next_attempt_at", "pk")
                ).values_list("pk", flat=True)[:limit]
            )
            if due:
                PostTarget.objects.filter(pk__in=due).update(
                    status=TargetStatus.QUEUED, queued_at=now, updated_at=now
                )
                transaction.on_commit(lambda due=due: _enqueue(tasks.publish_target, due))
        queued += due
        if len(due) < limit:
            break
    with transaction.atomic():
        expired = list(
            _locked(
                PostTarget.objects.filter(
                    status=TargetStatus.PUBLISHING, lease_until__lt=now
                ).order_by("lease_until")
            ).values_list("pk", flat=True)[:limit]
        )
        if expired:
            # Extend the lease so the next dispatcher run does not hand them out again.
            PostTarget.objects.filter(pk__in=expired).update(
                lease_until=now + timedelta(seconds=lease_seconds())
            )
            transaction.on_commit(lambda: _enqueue(tasks.reconcile_target, expired))
    return queued


def dispatch_every() -> timedelta:
    """How often beat runs the dispatcher (BEAT_DISPATCH_EVERY_SECONDS)."""
    return timedelta(seconds=int_setting("BEAT_DISPATCH_EVERY_SECONDS", 5))


def next_due_before_next_run(*, now: datetime | None = None) -> datetime | None:
    """When the first pending target falls due before beat's next run of the dispatcher.

    The dispatcher wakes once more at that moment (see `posts.tasks.dispatch_due`), so a post
    goes out at its time rather than up to a beat interval later.
    """
    now = now or timezone.now()
    return (
        PostTarget.objects.filter(
            status=TargetStatus.PENDING,
            next_attempt_at__gt=now,
            next_attempt_at__lt=now + dispatch_every(),
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def _enqueue(task, ids: list[int]) -> None:
    """One message per id, all through one producer and, on Redis, in one round trip."""
    with task.app.producer_or_acquire() as producer, broker.pipelined(producer):
        for pk in ids:
            task.apply_async((pk,), producer=producer)


# --- Publishing one target ------------------------------------------------------------------


def _claim(target_id: int, *, from_status: str) -> tuple[str, PostTarget, bool] | None:
    """Conditional update, then the claimed target as `_load` reads it.

    Returns the claim token, the target and whether its post has media; None if someone else
    has it. On PostgreSQL both go in one round trip, committed (synchronously) before the
    platform is called.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    with sql.batch():
        sql.update(
            PostTarget,
            {
                "status": TargetStatus.PUBLISHING,
                "claim_token": token,
                "lease_until": now + timedelta(seconds=lease_seconds()),
                "updated_at": now,
            },
            add={"attempts": 1},
            where={"pk": target_id, "status": from_status},
            defer=True,
        )
        loaded = _load(target_id, token=token)
    return None if loaded is None else (token, *loaded)


@functools.cache
def _target_reader(vendor: str, claimed: bool) -> tuple[str, list[sql.Reader]]:
    """One SELECT for a target with its post, account and agency, and whether it has media.

    `claimed`: only while the target holds a given claim token (the second parameter).
    """
    readers = [
        sql.Reader(PostTarget, "t"),
        sql.Reader(Post, "p"),
        sql.Reader(PlatformAccount, "a"),
        sql.Reader(Agency, "g"),
    ]
    query = (
        f"SELECT {', '.join(r.columns for r in readers)}, "  # noqa: S608 - model names
        f"EXISTS (SELECT 1 FROM {sql.table(PostMedia)} m WHERE m.post_id = p.id) "
        f"FROM {sql.table(PostTarget)} t "
        f"JOIN {sql.table(Post)} p ON p.id = t.post_id "
        f"JOIN {sql.table(PlatformAccount)} a ON a.id = t.account_id "
        f"JOIN {sql.table(Agency)} g ON g.id = t.agency_id "
        "WHERE t.id = %s"
        + (f" AND t.{sql.column(PostTarget, 'claim_token')} = %s" if claimed else "")
    )
    return query, readers


def _load(target_id: int, *, token: str | None = None) -> tuple[PostTarget, bool] | None:
    """The target with its post, account and agency in place; and whether the post has media.

    The hot path's one read (as `select_related` would, without building the query each time).
    With `token`, only if the target holds that claim (None otherwise).
    """
    query, readers = _target_reader(connection.vendor, token is not None)
    rows = sql.select(query, [target_id] if token is None else [target_id, token])
    if not rows:
        return None
    (row,) = rows
    start, built = 0, []
    for reader in readers:
        built.append(reader.build(row, start))
        start += reader.width
    target, post, account, agency = built
    for name, value in (("post", post), ("account", account), ("agency", agency)):
        PostTarget._meta.get_field(name).set_cached_value(target, value)
    Post._meta.get_field("agency").set_cached_value(post, agency)
    return target, bool(row[-1])


def target_publish(*, target_id: int) -> str:
    """Publish one queued target: claim it, call the platform once, record what happened.

    Returns what happened, for logs and tests: 'skipped', 'published', 'retry', 'failed'.
    """
    claimed = _claim(target_id, from_status=TargetStatus.QUEUED)
    if claimed is None:
        return "skipped"
    token, target, has_media = claimed
    account = target.account
    if account.status != PlatformAccountStatus.ACTIVE:
        return _record_failure(
            target,
            token,
            _("The account %(account)s is %(status)s.")
            % {"account": account, "status": account.get_status_display()},
        )
    try:
        client = client_for_account(account)
        if target.needs_reconcile:
            found = _find_published(client, target)
            if found is not None:
                return _record_published(target, token, found, reconciled=True)
        post = target.post
        ref = client.publish(
            post.text_for(account.platform),
            _media_for(post) if has_media else [],
            reply_to=post.in_reply_to_external_id or None,
        )
    except RateLimited as exc:
        return _record_rate_limited(target, token, exc.retry_at)
    except AuthExpired as exc:
        return _record_auth_expired(target, token, str(exc))
    except Rejected as exc:
        return _record_failure(target, token, exc.message)
    except Unavailable as exc:
        return _record_transient(target, token, str(exc))
    return _record_published(
        target, token, (ref.external_id, ref.url, ref.published_at), reconciled=False
    )


def target_reconcile(*, target_id: int) -> str:
    """A target left in publishing past its lease (its worker died mid-call).

    Found among the account's recent posts: published. Not found: back in the queue (pending,
    due now). If the platform cannot be asked right now, try again after a backoff.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    updated = PostTarget.objects.filter(
        pk=target_id, status=TargetStatus.PUBLISHING, lease_until__gte=now
    ).update(claim_token=token, lease_until=now + timedelta(seconds=lease_seconds()))
    if updated != 1:
        return "skipped"
    target, _has_media = _load(target_id) or (None, False)
    if target is None:  # deleted since
        return "skipped"
    try:
        found = _find_published(client_for_account(target.account), target)
    except (RateLimited, Unavailable, AuthExpired, Rejected) as exc:
        retry_at = exc.retry_at if isinstance(exc, RateLimited) else now + _backoff(1)
        with transaction.atomic():
            PostTarget.objects.filter(pk=target.pk, claim_token=token).update(
                lease_until=retry_at, last_error=str(exc)[:2000]
            )
        return "retry"
    if found is not None:
        return _record_published(target, token, found, reconciled=True)
    with transaction.atomic():
        updated = PostTarget.objects.filter(pk=target.pk, claim_token=token).update(
            status=TargetStatus.PENDING,
            next_attempt_at=now,
            needs_reconcile=False,
            claim_token="",
            lease_until=None,
            updated_at=now,
        )
        if updated:
            audit_record(
                action="posts.target.requeued_after_reconcile",
                actor=None,
                agency=target.agency,
                target=target,
                data={"attempts": target.attempts},
            )
    return "requeued"


def _media_for(post: Post) -> list[Media]:
    """The post's photos and videos with their alt text, read from storage, in order."""
    media = []
    for item in post.media.order_by("position", "pk"):
        with item.file.open("rb") as handle:
            data = handle.read()
        media.append(
            Media(
                data=data,
                mime_type=item.content_type,
                alt_text=item.alt_text,
                filename=item.file.name.rsplit("/", 1)[-1],
            )
        )
    return media


def _find_published(client: PlatformClient, target: PostTarget) -> tuple[str, str, datetime] | None:
    post = target.post
    text = post.text_for(target.account.platform).strip()
    since = target.created_at - timedelta(minutes=5)
    limit = int_setting("BEAT_RECONCILE_LOOKBACK", 50)
    if post.in_reply_to_external_id:
        candidates = client.recent_replies(post.in_reply_to_external_id, limit=limit)
    else:
        candidates = client.recent_posts(limit=limit)
    for recent in candidates:
        if recent.text.strip() == text and recent.created_at >= since:
            return recent.external_id, "", recent.created_at
    return None


def _backoff(attempt: int) -> timedelta:
    """Exponential backoff with full jitter: up to base * 2^(attempt-1), capped."""
    base = int_setting("BEAT_PUBLISH_BACKOFF_BASE_SECONDS", 10)
    cap = int_setting("BEAT_PUBLISH_BACKOFF_CAP_SECONDS", 600)
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 (jitter, not crypto)


def _commit_without_waiting_for_disk() -> None:
    """Let this transaction's commit return before PostgreSQL has flushed it to disk.

    Only for recording a publish: should the database crash within that fraction of a second,
    the record is lost but the target is still "publishing" with its lease, and the reconciler
    finds the post on the platform and records it again, so nothing is sent twice. The claim
    before a platform call is always committed synchronously. Without this, every record waits
    for a disk flush while holding the audit chain's head, which caps publishing at one flush
    per post.
    """
    if connection.vendor == "postgresql":
        sql.execute_later("SET LOCAL synchronous_commit TO OFF", prepare=False)


def _lock_post(target: PostTarget) -> None:
    """Lock the target's post: it serialises deriving the post's status from its targets.

    Every change of a target into a final state (published, failed, cancelled) takes this
    lock first, so `post_refresh_status` after it sees every sibling's final state. Nothing
    is read: inside `sql.batch()` the lock goes out with the next statement.
    """
    if connection.features.has_select_for_update:
        sql.execute_later(
            f"SELECT 1 FROM {sql.table(Post)} WHERE id = %s FOR UPDATE",  # noqa: S608
            [target.post_id],
        )


def _holder(target: PostTarget, token: str, values: dict, add: dict | None = None) -> int:
    """Write `values` to the target if this claim still holds it; returns the rows changed."""
    return sql.update(
        PostTarget,
        values,
        add=add,
        where={"pk": target.pk, "status": TargetStatus.PUBLISHING, "claim_token": token},
    )


@transaction.atomic
def _record_published(
    target: PostTarget, token: str, found: tuple[str, str, datetime], *, reconciled: bool
) -> str:
    external_id, url, published_at = found
    with sql.batch():
        # On PostgreSQL the writes that nobody reads back wait and go with the next statement:
        # six round trips for this transaction instead of eleven.
        return _record_published_batched(target, token, external_id, url, published_at, reconciled)


def _record_published_batched(
    target: PostTarget,
    token: str,
    external_id: str,
    url: str,
    published_at: datetime,
    reconciled: bool,
) -> str:
    _commit_without_waiting_for_disk()
    _lock_post(target)
    post = target.post
    now = timezone.now()
    updated = _holder(
        target,
        token,
        {
            "status": TargetStatus.PUBLISHED,
            "external_id": external_id,
            "url": url[:500],
            "published_at": published_at,
            "needs_reconcile": False,
            "last_error": "",
            "lease_until": None,
            "updated_at": now,
        },
    )
    if not updated:
        return "skipped"
    # Analytics build on publishing (imported here, as the inbox is below): metrics collection
    # starts in the transaction that records the publish. Replies are not tracked.
    from engagement.metrics import track_target

    track_target(target=target, published_at=published_at)
    with audit_batch():  # the target's event and the post's, in one append
        audit_record(
            action="posts.target.published",
            actor=None,
            agency=target.agency,
            target=target,
            data={
                "external_id": external_id,
                "attempts": target.attempts,
                "reconciled": reconciled,
            },
        )
        post_refresh_status(post=post)
        if post.kind == PostKind.REPLY:
            # Imported here: the inbox builds on publishing, not the other way round; this is
            # the one place a published reply is handed back to its thread, in this transaction.
            from engagement.threads import reply_published

            sql.flush()  # the ORM reads next
            reply_published(post=post, target=target, external_id=external_id, at=published_at)
    return "published"


@transaction.atomic
def _record_rate_limited(target: PostTarget, token: str, retry_at: datetime) -> str:
    now = timezone.now()
    updated = _holder(
        target,
        token,
        {
            "status": TargetStatus.PENDING,
            "next_attempt_at": retry_at,
            "claim_token": "",
            "lease_until": None,
            "last_error": _("Rate limited until %(at)s") % {"at": retry_at.isoformat()},
            "updated_at": now,
        },
        # A rate limit is not a failed attempt: the platform did nothing.
        add={"attempts": -1},
    )
    if not updated:
        return "skipped"
    # Nothing else for this account goes out before the reset either.
    PostTarget.objects.filter(
        account_id=target.account_id, status=TargetStatus.PENDING, next_attempt_at__lt=retry_at
    ).update(next_attempt_at=retry_at, updated_at=now)
    audit_record(
        action="posts.target.rate_limited",
        actor=None,
        agency=target.agency,
        target=target,
        data={"retry_at": retry_at.isoformat()},
    )
    return "retry"


@transaction.atomic
def _record_transient(target: PostTarget, token: str, message: str) -> str:
    max_attempts = int_setting("BEAT_PUBLISH_MAX_ATTEMPTS", 5)
    if target.attempts >= max_attempts:
        return _record_failure(
            target,
            token,
            _("The platform kept failing after %(n)d attempts: %(message)s")
            % {"n": target.attempts, "message": message},
        )
    now = timezone.now()
    updated = _holder(
        target,
        token,
        {
            "status": TargetStatus.PENDING,
            "next_attempt_at": now + _backoff(target.attempts),
            # The platform may have taken the post before failing: look before sending again.
            "needs_reconcile": True,
            "claim_token": "",
            "lease_until": None,
            "last_error": message[:2000],
            "updated_at": now,
        },
    )
    if not updated:
        return "skipped"
    audit_record(
        action="posts.target.retry_scheduled",
        actor=None,
        agency=target.agency,
        target=target,
        data={"attempts": target.attempts, "error": message[:500]},
    )
    return "retry"


@transaction.atomic
def _record_auth_expired(target: PostTarget, token: str, message: str) -> str:
    # Lock order everywhere: post, then account, then the audit chain head (taken by
    # audit_record). Taking the head before the post here could deadlock with a sibling
    # target of the same post being recorded as published.
    _lock_post(target)
    account = PlatformAccount.objects.select_for_update().get(pk=target.account_id)
    if account.status == PlatformAccountStatus.ACTIVE:
        platform_account_set_status(
            account=account,
            by=None,
            status=PlatformAccountStatus.NEEDS_REAUTH,
            reason=message,
        )
    return _record_failure(
        target,
        token,
        _(
            "The platform no longer accepts the credentials of %(account)s: an agency admin must reconnect it."
        )
        % {"account": account},
    )


@transaction.atomic
def _record_failure(target: PostTarget, token: str, message: str) -> str:
    _lock_post(target)
    post = target.post
    now = timezone.now()
    updated = _holder(
        target,
        token,
        {
            "status": TargetStatus.FAILED,
            "last_error": message[:2000],
            "claim_token": "",
            "lease_until": None,
            "updated_at": now,
        },
    )
    if not updated:
        return "skipped"
    with audit_batch():
        audit_record(
            action="posts.target.failed",
            actor=None,
            agency=target.agency,
            target=target,
            data={"error": message[:500]},
        )
        post_refresh_status(post=post)
    people = User.objects.filter(
        Q(pk=post.author_id)
        | Q(
            memberships__agency_id=post.agency_id,
            memberships__role__in=[Role.SUPERVISOR, Role.ADMIN],
        )
    ).distinct()
    notify(
        agency=target.agency,
        users=people,
        message=_("Not published to %(account)s: %(error)s")
        % {"account": target.account, "error": message[:300]},
        link=f"/posts/{post.pk}/",
    )
    return "failed"


def post_refresh_status(*, post: Post) -> str:
    """Derive a post's status from its targets once they are all done.

    All published: published. None published: failed. Some of each: partly failed.
    The caller holds the post's lock (`_lock_post`, as the recorders above do); the post's
    status and its targets' are read here, under it.
    """
    status = sql.column(PostTarget, "status")
    rows = sql.select(
        f"SELECT t.{status}, p.{sql.column(Post, 'status')} "  # noqa: S608 - model names
        f"FROM {sql.table(PostTarget)} t JOIN {sql.table(Post)} p ON p.id = t.post_id "
        "WHERE t.post_id = %s ORDER BY t.due_at, t.id",
        [post.pk],
    )
    statuses = [target_status for target_status, _post_status in rows]
    if rows:
        post.status = rows[0][1]
    if not statuses or any(s not in TARGET_DONE for s in statuses):
        return post.status
    live = [s for s in statuses if s != TargetStatus.CANCELLED]
    if not live:
        new = PostStatus.CANCELLED
    elif all(s == TargetStatus.PUBLISHED for s in live):
        new = PostStatus.PUBLISHED
    elif any(s == TargetStatus.PUBLISHED for s in live):
        new = PostStatus.PARTLY_FAILED
    else:
        new = PostStatus.FAILED
    if new != post.status:
        old = post.status
        post.status = new
        post.updated_at = timezone.now()
        sql.update(
            Post, {"status": new, "updated_at": post.updated_at}, where={"pk": post.pk}, defer=True
        )
        audit_record(
            action=f"posts.post.{new}",
            actor=None,
            agency=post.agency,
            target=post,
            data={"from": old, "targets": statuses},
        )
    return new
