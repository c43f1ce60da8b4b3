"""Monitoring: searching the campaigns' hashtags and the monitoring columns' queries.

The shape is the inbox pull's (engagement/services.py):
- `dispatch_searches` (beat, every minute) works out which searches are wanted now: each
  hashtag of each campaign running today (in the agency's time zone) on its target accounts
  (every active account of the agency when it names none), and each monitoring column's query
  on its accounts (likewise). It creates the missing `SearchCursor` rows and enqueues
  `campaigns.search_cursor` for each due one, after commit.
- `cursor_search` claims the cursor with a conditional update (one search per cursor at a
  time), searches *outside* any transaction, then stores what it found and moves the cursor in
  one transaction, so a failed search leaves the cursor where it was. A rate limit sets
  `next_attempt_at` to the platform's reset; other failures back off.
- Public posts are unique per agency on (platform, external id), uses per (campaign, post) and
  matches per (column, post): a repeated or overlapping search adds nothing.

Where the posts come from:
- X: recent search (`XClient.search`, GET /2/tweets/search/recent) since the since_id cursor,
  with public metrics. A first search reads back at most `BEAT_CAMPAIGN_FIRST_SEARCH_PAGES`
  pages (newest first), so a popular tag cannot exhaust the rate limit before anything is kept.
- Facebook: the Graph API has no public hashtag or keyword search for pages. The public's
  comments on our own posts are already pulled into the inbox (engagement.Message), so the
  search reads those rows (inbound, of that page) rather than asking Graph a second time. The
  cursor is the time the inbox stored them, read back with an overlap so a pull that commits
  late is still seen; the unique constraints make the overlap harmless.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Agency, Platform, PlatformAccount, PlatformAccountStatus
from campaigns import hashtags as tags
from campaigns.models import (
    Campaign,
    ColumnMatch,
    MonitorColumn,
    PublicPost,
    PublicUse,
    QueryKind,
    SearchCursor,
)
from config import leases
from config.tuning import int_setting
from platforms.base import AuthExpired, InboundItem, Page, PlatformError, RateLimited

log = logging.getLogger(__name__)

INBOX_OVERLAP = timedelta(minutes=10)
INBOX_SCAN_LIMIT = 2000  # inbox messages read per Facebook search; the cursor stops there
BACKFILL_LIMIT = 5000  # stored public posts looked at when a campaign or column is saved


def search_interval() -> timedelta:
    """How long after a search the same cursor is due again.

    A little under the beat period, so a search that finished just after the dispatcher ran
    is due at its next run rather than the one after.
    """
    every = int_setting("BEAT_CAMPAIGN_SEARCH_EVERY_SECONDS", 60)
    return timedelta(seconds=max(5, every - 15))


def _backoff(failures: int) -> timedelta:
    base = int_setting("BEAT_CAMPAIGN_SEARCH_EVERY_SECONDS", 60)
    cap = int_setting("BEAT_CAMPAIGN_BACKOFF_CAP_SECONDS", 900)
    return timedelta(seconds=min(cap, base * 2 ** max(0, failures - 1)))


# --- What is wanted now -------------------------------------------------------------------

Wanted = tuple[int, int, str, str]  # (agency id, account id, kind, query key)


def _local_today(agency: Agency, now: datetime) -> date:
    return timezone.localtime(now, agency.tzinfo).date()


def _period_bounds(campaign: Campaign) -> tuple[datetime, datetime]:
    """The campaign's first and last day as aware datetimes in the agency's time zone."""
    tz = campaign.agency.tzinfo
    start = datetime.combine(campaign.starts_on, time.min, tzinfo=tz)
    end = datetime.combine(campaign.ends_on + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def wanted_searches(*, now: datetime | None = None) -> set[Wanted]:
    """Every (agency, account, kind, query) that should be searched now."""
    now = now or timezone.now()
    utc_today = now.date()
    active: dict[int, list[int]] = {}
    for pk, agency_id in PlatformAccount.objects.filter(
        status=PlatformAccountStatus.ACTIVE
    ).values_list("pk", "agency_id"):
        active.setdefault(agency_id, []).append(pk)
    wanted: set[Wanted] = set()
    # A day either side of UTC's date covers every time zone; the exact test is per agency.
    campaigns = (
        Campaign.objects.filter(
            starts_on__lte=utc_today + timedelta(days=1),
            ends_on__gte=utc_today - timedelta(days=1),
        )
        .exclude(hashtags="")
        .select_related("agency")
        .prefetch_related("target_accounts")
    )
    for campaign in campaigns:
        today = _local_today(campaign.agency, now)
        if not campaign.starts_on <= today <= campaign.ends_on:
            continue
        accounts = _accounts_for(
            campaign.agency_id, [a.pk for a in campaign.target_accounts.all()], active
        )
        for tag in campaign.hashtag_list:
            key = tags.query_key(QueryKind.HASHTAG, tag)
            wanted.update((campaign.agency_id, a, QueryKind.HASHTAG, key) for a in accounts)
    for column in MonitorColumn.objects.prefetch_related("accounts"):
        accounts = _accounts_for(column.agency_id, [a.pk for a in column.accounts.all()], active)
        key = tags.query_key(column.kind, column.query)
        wanted.update((column.agency_id, a, column.kind, key) for a in accounts)
    return wanted


def _accounts_for(agency_id: int, chosen: list[int], active: dict[int, list[int]]) -> list[int]:
    usable = active.get(agency_id, [])
    return [a for a in chosen if a in usable] if chosen else usable


def _locked(queryset: QuerySet[SearchCursor]) -> QuerySet[SearchCursor]:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def dispatch_searches(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Enqueue `campaigns.search_cursor` for each wanted search that is due. Returns cursor ids.

    A dispatched cursor is not dispatched again until its search ran or
    `BEAT_CAMPAIGN_DISPATCH_STALE_SECONDS` passed (a message lost with the broker).
    """
    from campaigns import tasks

    now = now or timezone.now()
    limit = limit or int_setting("BEAT_CAMPAIGN_DISPATCH_BATCH", 500)
    wanted = wanted_searches(now=now)
    if not wanted:
        return []
    SearchCursor.objects.bulk_create(
        [
            SearchCursor(agency_id=agency_id, account_id=account_id, kind=kind, query=key)
            for agency_id, account_id, kind, key in sorted(wanted)
        ],
        ignore_conflicts=True,
    )
    keys = {(account_id, kind, key) for _agency, account_id, kind, key in wanted}
    candidates = [
        pk
        for pk, account_id, kind, key in SearchCursor.objects.filter(
            account_id__in={k[0] for k in keys}
        ).values_list("pk", "account_id", "kind", "query")
        if (account_id, kind, key) in keys
    ]
    stale = now - timedelta(seconds=int_setting("BEAT_CAMPAIGN_DISPATCH_STALE_SECONDS", 120))
    with transaction.atomic():
        due = list(
            _locked(
                SearchCursor.objects.filter(
                    Q(pk__in=candidates),
                    Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
                    Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale),
                    Q(lease_until__isnull=True) | Q(lease_until__lt=now),
                ).order_by(F("next_attempt_at").asc(nulls_first=True), "pk")
            ).values_list("pk", flat=True)[:limit]
        )
        if due:
            SearchCursor.objects.filter(pk__in=due).update(dispatched_at=now)
            transaction.on_commit(lambda: [tasks.search_cursor.delay(pk) for pk in due])
    return due


# --- One search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    """What one `cursor_search` did. `status` is one of:

    searched, gone, inactive, busy, not_due, rate_limited, failed, auth_expired, lost_claim.
    """

    cursor_id: int
    status: str
    fetched: int = 0
    matched: int = 0
    posts_added: int = 0
    uses_added: int = 0
    matches_added: int = 0
    cursor: str = ""
    error: str = ""


def _claim(cursor_id: int) -> str | None:
    """The token if this search may run now, None if it is held or not due."""
    lease = int_setting("BEAT_CAMPAIGN_LEASE_SECONDS", 300)
    return leases.claim(SearchCursor, cursor_id, due_field="next_attempt_at", lease_seconds=lease)


def _holder(cursor_id: int, token: str) -> QuerySet[SearchCursor]:
    return leases.holder(SearchCursor, cursor_id, token)


def _record_failure(
    cursor_id: int, token: str, message: str, *, retry_at: datetime | None = None, count=True
) -> None:
    """Release the claim with the cursor untouched; wait for the reset or back off."""
    leases.release_failed(
        SearchCursor,
        cursor_id,
        token,
        message,
        due_field="next_attempt_at",
        backoff=_backoff,
        retry_at=retry_at,
        count=count,
    )


def cursor_search(*, cursor_id: int) -> SearchResult:
    """Search one query on one account since its cursor and store what the public posted.

    Side effects: public posts, campaign uses and column matches; the cursor; one
    `campaigns.search` audit event when anything was added.
    """
    cursor = (
        SearchCursor.objects.select_related("account", "account__agency")
        .filter(pk=cursor_id)
        .first()
    )
    if cursor is None:
        return SearchResult(cursor_id=cursor_id, status="gone")
    account = cursor.account
    if account.status != PlatformAccountStatus.ACTIVE:
        SearchCursor.objects.filter(pk=cursor_id).update(dispatched_at=None)
        return SearchResult(cursor_id=cursor_id, status="inactive", cursor=cursor.cursor)
    token = _claim(cursor.pk)
    if token is None:
        cursor.refresh_from_db()
        held = cursor.lease_until is not None and cursor.lease_until >= timezone.now()
        return SearchResult(
            cursor_id=cursor_id, status="busy" if held else "not_due", cursor=cursor.cursor
        )
    since = cursor.cursor or None
    try:
        if account.platform == Platform.FACEBOOK:
            page = _inbox_page(account=account, kind=cursor.kind, key=cursor.query, since=since)
        else:
            page = _platform_page(account=account, kind=cursor.kind, key=cursor.query, since=since)
        counts = _store(
            cursor_id=cursor.pk,
            token=token,
            account=account,
            kind=cursor.kind,
            key=cursor.query,
            page=page,
        )
    except RateLimited as exc:
        _record_failure(cursor.pk, token, str(exc), retry_at=exc.retry_at, count=False)
        return SearchResult(cursor_id, "rate_limited", cursor=since or "", error=str(exc))
    except AuthExpired as exc:
        # The inbox pull marks the account for re-authorisation; here the search waits.
        _record_failure(cursor.pk, token, str(exc))
        return SearchResult(cursor_id, "auth_expired", cursor=since or "", error=str(exc))
    except PlatformError as exc:
        _record_failure(cursor.pk, token, str(exc))
        return SearchResult(cursor_id, "failed", cursor=since or "", error=str(exc)[:2000])
    except Exception as exc:
        # Our own bug or the database: keep the cursor, say why, and let the worker log it.
        _record_failure(cursor.pk, token, f"{type(exc).__name__}: {exc}")
        raise
    if counts is None:
        return SearchResult(cursor_id=cursor_id, status="lost_claim")
    now = timezone.now()
    _holder(cursor.pk, token).update(
        claim_token="",
        lease_until=None,
        last_searched_at=now,
        last_error="",
        failures=0,
        next_attempt_at=now + search_interval(),
        updated_at=now,
    )
    return SearchResult(
        cursor_id=cursor_id,
        status="searched",
        fetched=counts["fetched"],
        matched=counts["matched"],
        posts_added=counts["posts_added"],
        uses_added=counts["uses_added"],
        matches_added=counts["matches_added"],
        cursor=(page.next_cursor if counts["cursor_moved"] else since) or "",
    )


def _platform_page(*, account: PlatformAccount, kind: str, key: str, since: str | None) -> Page:
    from posts.publishing import client_for_account

    client = client_for_account(account)
    first_pages = int_setting("BEAT_CAMPAIGN_FIRST_SEARCH_PAGES", 3)
    query = _spelling(account.agency_id, kind, key)
    return client.search(query, since, max_pages=None if since else first_pages)


def _spelling(agency_id: int, kind: str, key: str) -> str:
    """The query as a campaign or column of the agency spells it ('#KnowTheSigns' rather than
    the cursor's '#knowthesigns'): the platform does not mind, people reading its logs do."""
    if kind == QueryKind.HASHTAG:
        for hashtags in Campaign.objects.filter(
            agency_id=agency_id, hashtags__icontains=key
        ).values_list("hashtags", flat=True):
            for tag in hashtags.split():
                if tags.tag_key(tag) == key:
                    return tag
    for query in MonitorColumn.objects.filter(
        agency_id=agency_id, kind=kind, query__iexact=key
    ).values_list("query", flat=True):
        return query
    return key


def _inbox_page(*, account: PlatformAccount, kind: str, key: str, since: str | None) -> Page:
    """The public's comments on our page that the inbox already stored, since `since`."""
    from engagement.models import Direction, Message

    scanned_at = timezone.now()
    messages = Message.objects.filter(
        agency_id=account.agency_id,
        conversation__account=account,
        direction=Direction.INBOUND,
    )
    if since:
        messages = messages.filter(received_at__gt=datetime.fromisoformat(since) - INBOX_OVERLAP)
    needle = _needle(kind, key)
    if needle:
        messages = messages.filter(text__icontains=needle)
    rows = list(
        messages.order_by("received_at", "pk").values(
            "external_id",
            "text",
            "author_external_id",
            "author_handle",
            "author_name",
            "created_at",
            "received_at",
        )[:INBOX_SCAN_LIMIT]
    )
    # All of it was read up to the scan, unless the limit cut it short.
    newest = rows[-1]["received_at"] if len(rows) == INBOX_SCAN_LIMIT else scanned_at
    items = [
        InboundItem(
            external_id=row["external_id"],
            text=row["text"],
            author_id=row["author_external_id"],
            author_handle=row["author_handle"],
            author_name=row["author_name"],
            created_at=row["created_at"],
            conversation_id=None,
            in_reply_to_id=None,
            kind="comment",
            our_post_id=None,
        )
        for row in rows
    ]
    return Page(items=items, next_cursor=newest.isoformat())


def _needle(kind: str, key: str) -> str:
    """One substring every match contains, for the database to narrow the rows with."""
    if kind == QueryKind.HASHTAG:
        return key
    words = [
        w.strip('"') for w in key.split() if not w.startswith("-") and ":" not in w and w != "or"
    ]
    return max(words, key=len) if words else ""


# --- Storing ------------------------------------------------------------------------------


METRIC_FIELDS = ("impressions", "likes", "replies", "shares", "quotes")


def _metrics(item: InboundItem) -> dict[str, int]:
    m = (item.raw or {}).get("public_metrics") or {}
    return {
        "impressions": int(m.get("impression_count", 0) or 0),
        "likes": int(m.get("like_count", 0) or 0),
        "replies": int(m.get("reply_count", 0) or 0),
        "shares": int(m.get("retweet_count", 0) or 0),
        "quotes": int(m.get("quote_count", 0) or 0),
    }


def _url(platform: str, item: InboundItem) -> str:
    if platform == Platform.X:
        who = item.author_handle or "i/web"
        return f"https://x.com/{who}/status/{item.external_id}"
    return f"https://www.facebook.com/{item.external_id}"


def _store(
    *, cursor_id: int, token: str, account: PlatformAccount, kind: str, key: str, page: Page
) -> Counter[str] | None:
    """Store one page and move the cursor, in one transaction. None if the claim was lost."""
    agency = account.agency
    own = set(
        PlatformAccount.objects.filter(agency=agency, platform=account.platform).values_list(
            "external_id", flat=True
        )
    )
    # The platform's search is broader than a hashtag (X matches "#Tag" inside "#TagLine" in
    # the sandbox, and Facebook rows were narrowed by a substring): keep exact matches only,
    # and never our own accounts' posts.
    items: dict[str, InboundItem] = {}
    for item in page.items:
        if item.author_id in own or not tags.matches(kind, key, item.text):
            continue
        items.setdefault(str(item.external_id), item)
    counts: Counter[str] = Counter(fetched=len(page.items), matched=len(items))
    with transaction.atomic():
        cursor = SearchCursor.objects.select_for_update().get(pk=cursor_id)
        if cursor.claim_token != token:
            return None
        posts, added = _upsert_posts(agency, account.platform, list(items.values()))
        counts["posts_added"] = added
        counts["uses_added"] = _link_campaigns(agency, account, kind, key, posts)
        counts["matches_added"] = _link_columns(agency, account, kind, key, posts)
        now = timezone.now()
        if page.next_cursor and page.next_cursor != cursor.cursor:
            cursor.cursor = page.next_cursor
            counts["cursor_moved"] = 1
        cursor.updated_at = now
        cursor.save(update_fields=["cursor", "updated_at"])
        if counts["posts_added"] or counts["uses_added"] or counts["matches_added"]:
            audit_record(
                action="campaigns.search",
                actor=None,
                agency=agency,
                target=account,
                data={
                    "kind": kind,
                    "query": key,
                    "posts_added": counts["posts_added"],
                    "uses_added": counts["uses_added"],
                    "matches_added": counts["matches_added"],
                    "cursor": cursor.cursor,
                },
            )
    return counts


def _upsert_posts(
    agency: Agency, platform: str, items: Sequence[InboundItem]
) -> tuple[list[PublicPost], int]:
    """The stored rows for `items`, inserting the new ones and refreshing metrics of the rest."""
    if not items:
        return [], 0
    ids = [str(i.external_id) for i in items]
    existing = {
        p.external_id: p
        for p in PublicPost.objects.filter(agency=agency, platform=platform, external_id__in=ids)
    }
    now = timezone.now()
    new = []
    changed = []
    for item in items:
        metrics = _metrics(item)
        row = existing.get(str(item.external_id))
        if row is None:
            new.append(
                PublicPost(
                    agency=agency,
                    platform=platform,
                    external_id=str(item.external_id),
                    author_external_id=item.author_id[:100],
                    author_handle=item.author_handle[:100],
                    author_name=item.author_name[:200],
                    text=item.text,
                    created_at=item.created_at,
                    found_at=now,
                    url=_url(platform, item),
                    **metrics,
                )
            )
        elif item.raw.get("public_metrics") and any(
            getattr(row, k) != v for k, v in metrics.items()
        ):
            for k, v in metrics.items():
                setattr(row, k, v)
            changed.append(row)
    # ignore_conflicts: a concurrent search of another query may have stored the same post.
    PublicPost.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        PublicPost.objects.bulk_update(changed, list(METRIC_FIELDS), batch_size=100)
    rows = list(
        PublicPost.objects.filter(agency=agency, platform=platform, external_id__in=ids).only(
            "id", "external_id", "text", "created_at", "platform"
        )
    )
    return rows, len(rows) - len(existing)


def _link_campaigns(
    agency: Agency, account: PlatformAccount, kind: str, key: str, posts: Sequence[PublicPost]
) -> int:
    """Count each post for every campaign of the agency that has this hashtag, searches this
    account and ran on the day the post was written."""
    if kind != QueryKind.HASHTAG or not posts:
        return 0
    earliest = min(p.created_at for p in posts)
    latest = max(p.created_at for p in posts)
    campaigns = (
        Campaign.objects.filter(
            agency=agency,
            starts_on__lte=latest.date() + timedelta(days=1),
            ends_on__gte=earliest.date() - timedelta(days=1),
        )
        .select_related("agency")
        .prefetch_related("target_accounts")
    )
    uses = []
    for campaign in campaigns:
        if key not in {tags.tag_key(t) for t in campaign.hashtag_list}:
            continue
        targets = {a.pk for a in campaign.target_accounts.all()}
        if targets and account.pk not in targets:
            continue
        uses.extend(_uses_for(campaign, posts))
    return _insert_new(PublicUse, uses, "campaign_id")


def _uses_for(campaign: Campaign, posts: Iterable[PublicPost]) -> list[PublicUse]:
    start, end = _period_bounds(campaign)
    wanted = {tags.tag_key(t): t for t in campaign.hashtag_list}
    out = []
    for post in posts:
        if not start <= post.created_at < end:
            continue
        found = [wanted[k] for k in sorted(tags.hashtags_in(post.text)) if k in wanted]
        if found:
            out.append(
                PublicUse(
                    agency_id=campaign.agency_id,
                    campaign=campaign,
                    public_post=post,
                    hashtags=found,
                    created_at=post.created_at,
                )
            )
    return out


def _link_columns(
    agency: Agency, account: PlatformAccount, kind: str, key: str, posts: Sequence[PublicPost]
) -> int:
    if not posts:
        return 0
    matches = []
    for column in MonitorColumn.objects.filter(agency=agency, kind=kind).prefetch_related(
        "accounts"
    ):
        if tags.query_key(column.kind, column.query) != key:
            continue
        chosen = {a.pk for a in column.accounts.all()}
        if chosen and account.pk not in chosen:
            continue
        matches.extend(
            ColumnMatch(agency=agency, column=column, public_post=p, created_at=p.created_at)
            for p in posts
        )
    return _insert_new(ColumnMatch, matches, "column_id")


def _insert_new(model: Any, rows: list[Any], owner_field: str) -> int:
    """Insert the rows not already there (unique on owner and public post); how many were new."""
    if not rows:
        return 0
    owners = {getattr(r, owner_field) for r in rows}
    post_ids = {r.public_post_id for r in rows}
    there = set(
        model.objects.filter(
            **{f"{owner_field}__in": owners}, public_post_id__in=post_ids
        ).values_list(owner_field, "public_post_id")
    )
    new = []
    seen = set(there)
    for row in rows:
        pair = (getattr(row, owner_field), row.public_post_id)
        if pair not in seen:
            seen.add(pair)
            new.append(row)
    model.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --- Public posts already found, for a new or changed campaign or column ------------------------


def link_existing_to_campaign(*, campaign: Campaign) -> int:
    """Count the public posts the agency already found that use the campaign's hashtags in
    its period (a campaign created after a column or another campaign followed the tag)."""
    keys = [tags.tag_key(t) for t in campaign.hashtag_list]
    if not keys:
        return 0
    start, end = _period_bounds(campaign)
    candidates = PublicPost.objects.filter(
        agency_id=campaign.agency_id, created_at__gte=start, created_at__lt=end
    )
    platforms = {a.platform for a in campaign.target_accounts.all()}
    if platforms:
        candidates = candidates.filter(platform__in=platforms)
    text = Q()
    for key in keys:
        text |= Q(text__icontains=key)
    posts = list(
        candidates.filter(text)
        .exclude(uses__campaign=campaign)
        .order_by("-created_at")
        .only("id", "text", "created_at")[:BACKFILL_LIMIT]
    )
    return _insert_new(PublicUse, _uses_for(campaign, posts), "campaign_id")


def link_existing_to_column(*, column: MonitorColumn) -> int:
    """Show in a new column the public posts the agency already found that match it."""
    key = tags.query_key(column.kind, column.query)
    candidates = PublicPost.objects.filter(agency_id=column.agency_id)
    platforms = {a.platform for a in column.accounts.all()}
    if platforms:
        candidates = candidates.filter(platform__in=platforms)
    needle = _needle(column.kind, key)
    if needle:
        candidates = candidates.filter(text__icontains=needle)
    posts = [
        p
        for p in candidates.order_by("-created_at").only("id", "text", "created_at")[
            :BACKFILL_LIMIT
        ]
        if tags.matches(column.kind, key, p.text)
    ]
    rows = [
        ColumnMatch(
            agency_id=column.agency_id, column=column, public_post=p, created_at=p.created_at
        )
        for p in posts
    ]
    return _insert_new(ColumnMatch, rows, "column_id")
