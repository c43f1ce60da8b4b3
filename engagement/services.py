"""State changes of the inbox: pulling from the platforms, threading, triage, settings.

The pull (DESIGN.md, Inbox):
- `dispatch_pulls` (beat) finds active accounts whose `PullCursor.next_pull_at` is due and
  enqueues `engagement.pull_account` for each, after commit;
- `account_pull` claims the account's cursor with a conditional update (one pull per account at
  a time; a second one skips), calls the platform *outside* any transaction, then stores each
  page in one transaction that also moves the cursor, so rows and cursor commit together and a
  failed pull leaves the cursor where it was;
- messages are unique on (platform, external id), so a replayed pull adds nothing;
- a page costs a fixed handful of queries whatever its size (`make bench-inbox` measures it):
  settings and rules are read once per pull, new conversations are folded before they are
  written, and on PostgreSQL new messages and conversations go in with one COPY each.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Model, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import audit_batch, audit_record
from accounts.models import (
    Agency,
    PlatformAccount,
    PlatformAccountStatus,
    Role,
    User,
)
from accounts.services import notify, platform_account_set_status, require_admin
from config import leases
from config.tuning import int_setting
from engagement import triage
from engagement.models import (
    CATEGORY_PRIORITY,
    Category,
    Conversation,
    ConversationStatus,
    Direction,
    InboxSettings,
    Message,
    PullCursor,
    RuleLanguage,
    TriageRule,
)
from engagement.response_times import response_due_at
from platforms.base import AuthExpired, InboundItem, Page, PlatformError, RateLimited
from posts.models import PostTarget, TargetStatus
from posts.publishing import client_for_account

log = logging.getLogger(__name__)

URGENT_PRIORITY = CATEGORY_PRIORITY[Category.URGENT]
ID_CHUNK = 500  # ids per IN (...) query; well under SQLite's variable limit
# Rows per INSERT where bulk_create is used (Django lowers it to what the backend allows).
INSERT_BATCH = 1500
UPDATE_BATCH = 100  # rows per bulk_update statement (one CASE branch per row and column)


def pull_interval() -> timedelta:
    return timedelta(seconds=int_setting("BEAT_INBOX_PULL_EVERY_SECONDS", 60))


def _backoff(failures: int) -> timedelta:
    base = int_setting("BEAT_INBOX_PULL_EVERY_SECONDS", 60)
    cap = int_setting("BEAT_INBOX_BACKOFF_CAP_SECONDS", 900)
    return timedelta(seconds=min(cap, base * 2 ** max(0, failures - 1)))


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    # PostgreSQL takes long IN lists well: fewer round trips for a page of thousands.
    size = ID_CHUNK * 10 if connection.vendor == "postgresql" else ID_CHUNK
    return [values[i : i + size] for i in range(0, len(values), size)]


# --- Settings and triage rules ------------------------------------------------------------


@transaction.atomic
def inbox_settings_ensure(*, agency: Agency) -> InboxSettings:
    """The agency's inbox settings, created with the default triage rules the first time.

    Defaults are created once: an agency that later deletes them is not given them back.
    """
    inbox, _created = InboxSettings.objects.get_or_create(agency=agency)
    if inbox.triage_defaults_created:
        return inbox
    inbox = InboxSettings.objects.select_for_update().get(pk=inbox.pk)
    if inbox.triage_defaults_created:  # another transaction won the race
        return inbox
    now = timezone.now()
    TriageRule.objects.bulk_create(
        TriageRule(
            agency=agency,
            category=spec.category,
            terms=list(spec.terms),
            language=spec.language,
            priority=spec.priority,
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        for spec in triage.DEFAULT_RULES
    )
    inbox.triage_defaults_created = True
    inbox.updated_at = now
    inbox.save(update_fields=["triage_defaults_created", "updated_at"])
    audit_record(
        action="engagement.triage_rules.defaults_created",
        actor=None,
        agency=agency,
        data={"rules": len(triage.DEFAULT_RULES)},
    )
    return inbox


def _clean_terms(terms: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for term in terms:
        term = str(term).strip()
        if term and term not in cleaned:
            if len(term) > 100:
                raise ValidationError({"terms": _("A term may have at most 100 characters.")})
            cleaned.append(term)
    if not cleaned:
        raise ValidationError({"terms": _("Give at least one term.")})
    if len(cleaned) > 200:
        raise ValidationError({"terms": _("A rule may have at most 200 terms.")})
    return cleaned


@transaction.atomic
def triage_rule_save(
    *,
    agency: Agency,
    by: User,
    category: str,
    terms: Sequence[str],
    language: str = RuleLanguage.ANY,
    priority: int | None = None,
    enabled: bool = True,
    rule: TriageRule | None = None,
) -> TriageRule:
    """Create a triage rule, or change `rule`. Agency admins only.

    Applies to messages pulled from now on; messages already in the inbox keep their category.
    """
    require_admin(agency=agency, by=by)
    if rule is not None and rule.agency_id != agency.pk:
        raise PermissionDenied("The rule belongs to another agency.")
    if category not in Category.values or category == Category.OTHER:
        raise ValidationError({"category": _("Choose a valid category.")})
    if language not in RuleLanguage.values:
        raise ValidationError({"language": _("Choose a valid language.")})
    inbox_settings_ensure(agency=agency)  # so the defaults are not added on top later
    now = timezone.now()
    created = rule is None
    if rule is None:
        rule = TriageRule(agency=agency, created_at=now)
    before = {
        "category": rule.category,
        "terms": list(rule.terms or []),
        "language": rule.language,
        "priority": rule.priority,
        "enabled": rule.enabled,
    }
    rule.category = category
    rule.terms = _clean_terms(terms)
    rule.language = language
    rule.priority = priority if priority is not None else triage_priority(category)
    # Urgent always sorts above everything else in the inbox, whatever admins choose.
    if category == Category.URGENT and rule.priority < URGENT_PRIORITY:
        raise ValidationError({"priority": _("Urgent rules have priority 100 or more.")})
    if category != Category.URGENT and not 0 <= rule.priority < URGENT_PRIORITY:
        raise ValidationError({"priority": _("Priority is between 0 and 99.")})
    rule.enabled = enabled
    rule.updated_at = now
    rule.save()
    audit_record(
        action="engagement.triage_rule.created" if created else "engagement.triage_rule.updated",
        actor=by,
        agency=agency,
        target=rule,
        data={
            "category": category,
            "language": language,
            "priority": rule.priority,
            "enabled": enabled,
            "terms": rule.terms,
            **({} if created else {"before": before}),
        },
    )
    return rule


@transaction.atomic
def triage_rule_delete(*, rule: TriageRule, by: User) -> None:
    """Delete a triage rule. Agency admins only."""
    require_admin(agency=rule.agency, by=by)
    audit_record(
        action="engagement.triage_rule.deleted",
        actor=by,
        agency=rule.agency,
        target=rule,
        data={"category": rule.category, "language": rule.language, "terms": rule.terms},
    )
    rule.delete()


INBOX_SETTINGS_FIELDS = (
    "emergency_guidance",
    "first_response_target_minutes",
    "office_hours_start",
    "office_hours_end",
    "office_days",
    "require_reply_approval",
)


@transaction.atomic
def inbox_settings_update(*, agency: Agency, by: User, **changes: Any) -> InboxSettings:
    """Change the agency's inbox settings (guidance, target, office hours). Agency admins only."""
    require_admin(agency=agency, by=by)
    unknown = set(changes) - set(INBOX_SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown inbox settings: {', '.join(sorted(unknown))}")
    inbox = InboxSettings.objects.select_for_update().get(
        pk=inbox_settings_ensure(agency=agency).pk
    )
    for name, value in changes.items():
        setattr(inbox, name, value)
    inbox.updated_at = timezone.now()
    inbox.full_clean()
    if not all(isinstance(d, int) and 0 <= d <= 6 for d in inbox.office_days):
        raise ValidationError({"office_days": _("Office days are 0 (Monday) to 6 (Sunday).")})
    inbox.save(update_fields=[*changes, "updated_at"])
    audit_record(
        action="engagement.inbox_settings.updated",
        actor=by,
        agency=agency,
        target=inbox,
        data={"changed": sorted(changes)},
    )
    return inbox


def triage_priority(category: str) -> int:
    return CATEGORY_PRIORITY.get(category, 0)


# --- Pulling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullResult:
    """What one `account_pull` did. `status` is one of:

    pulled, not_due, busy, inactive, rate_limited, failed, auth_expired, lost_claim.
    """

    account_id: int
    status: str
    fetched: int = 0
    added: int = 0
    conversations_created: int = 0
    urgent_notified: int = 0
    # Messages already held under another account (the unique (platform, external id)).
    skipped_elsewhere: int = 0
    pages: int = 0
    cursor: str = ""
    error: str = ""


def pull_cursor_for(*, account: PlatformAccount) -> PullCursor:
    cursor, _created = PullCursor.objects.get_or_create(
        account=account, defaults={"agency_id": account.agency_id}
    )
    return cursor


def _claim(cursor_id: int) -> str | None:
    """The token if this pull may run now, None if it is held or not due."""
    lease = int_setting("BEAT_INBOX_LEASE_SECONDS", 300)
    return leases.claim(PullCursor, cursor_id, due_field="next_pull_at", lease_seconds=lease)


def _holder(cursor_id: int, token: str) -> QuerySet[PullCursor]:
    return leases.holder(PullCursor, cursor_id, token)


def _our_post_ids(account: PlatformAccount) -> list[str]:
    """Our recently published posts on this account, newest first: the threads to read."""
    since = timezone.now() - timedelta(days=int_setting("BEAT_INBOX_POST_WINDOW_DAYS", 7))
    limit = int_setting("BEAT_INBOX_MAX_POSTS", 50)
    return list(
        PostTarget.objects.filter(
            account=account, status=TargetStatus.PUBLISHED, published_at__gte=since
        )
        .exclude(external_id="")
        .order_by("-published_at", "-pk")
        .values_list("external_id", flat=True)[:limit]
    )


def account_pull(*, account_id: int) -> PullResult:
    """Pull new replies, comments and mentions of one platform account into the inbox.

    Skips (busy / not_due) when another pull holds the account or its `next_pull_at` (rate
    limit, backoff, interval) is in the future. Each page is stored with the cursor in one
    transaction; on a rate limit `next_pull_at` becomes the platform's reset and on any other
    platform error `last_error` is recorded, in both cases with the cursor where it was. An
    expired token also marks the account as needing re-authorisation. Side effects: messages,
    conversations, notifications to supervisors for urgent conversations, one
    `engagement.pull` audit event per stored page that added anything.
    """
    account = PlatformAccount.objects.select_related("agency").filter(pk=account_id).first()
    if account is None or account.status != PlatformAccountStatus.ACTIVE:
        return PullResult(account_id=account_id, status="inactive")
    cursor = pull_cursor_for(account=account)
    token = _claim(cursor.pk)
    if token is None:
        cursor.refresh_from_db()
        held = cursor.lease_until is not None and cursor.lease_until >= timezone.now()
        return PullResult(
            account_id=account_id, status="busy" if held else "not_due", cursor=cursor.cursor
        )

    since = cursor.cursor or None
    totals: Counter[str] = Counter()
    pages = 0
    try:
        client = client_for_account(account)
        our_ids = _our_post_ids(account)
        shared = _PullShared(account.agency)
        # Both clients already read every platform page since the cursor in one call, so one
        # round is the default; a higher cap fetches again while the cursor keeps moving.
        for _page in range(max(1, int_setting("BEAT_INBOX_MAX_PAGES", 1))):
            page = client.fetch_inbound(since, our_ids)
            stored = _store_page(
                account=account, cursor_id=cursor.pk, token=token, page=page, shared=shared
            )
            if stored is None:
                return PullResult(account_id=account_id, status="lost_claim")
            pages += 1
            totals.update(stored)
            moved = bool(page.next_cursor) and page.next_cursor != since
            since = page.next_cursor or since
            if not page.items or not moved:
                break
    except RateLimited as exc:
        _record_failure(cursor.pk, token, str(exc), retry_at=exc.retry_at, count=False)
        return _result(account_id, "rate_limited", totals, pages, since, str(exc))
    except AuthExpired as exc:
        _record_auth_expired(account, cursor.pk, token, str(exc))
        return _result(account_id, "auth_expired", totals, pages, since, str(exc))
    except PlatformError as exc:
        _record_failure(cursor.pk, token, str(exc))
        return _result(account_id, "failed", totals, pages, since, str(exc))
    except Exception as exc:
        # Our own bug or the database: keep the cursor, say why, and let the worker log it.
        _record_failure(cursor.pk, token, f"{type(exc).__name__}: {exc}")
        raise
    now = timezone.now()
    _holder(cursor.pk, token).update(
        claim_token="",
        lease_until=None,
        last_pulled_at=now,
        last_error="",
        failures=0,
        next_pull_at=now + pull_interval(),
        updated_at=now,
    )
    return _result(account_id, "pulled", totals, pages, since, "")


def _result(
    account_id: int, status: str, totals: Counter[str], pages: int, cursor: str | None, error: str
) -> PullResult:
    return PullResult(
        account_id=account_id,
        status=status,
        fetched=totals["fetched"],
        added=totals["added"],
        conversations_created=totals["conversations_created"],
        urgent_notified=totals["urgent_notified"],
        skipped_elsewhere=totals["skipped_elsewhere"],
        pages=pages,
        cursor=cursor or "",
        error=error[:2000],
    )


def _record_failure(
    cursor_id: int, token: str, message: str, *, retry_at: datetime | None = None, count=True
) -> None:
    """Release the claim with the cursor untouched; wait for the reset or back off."""
    leases.release_failed(
        PullCursor,
        cursor_id,
        token,
        message,
        due_field="next_pull_at",
        backoff=_backoff,
        retry_at=retry_at,
        count=count,
    )


@transaction.atomic
def _record_auth_expired(
    account: PlatformAccount, cursor_id: int, token: str, message: str
) -> None:
    locked = PlatformAccount.objects.select_for_update().get(pk=account.pk)
    if locked.status == PlatformAccountStatus.ACTIVE:
        platform_account_set_status(
            account=locked, by=None, status=PlatformAccountStatus.NEEDS_REAUTH, reason=message
        )
    _record_failure(cursor_id, token, message)


# --- Storing one page ---------------------------------------------------------------------


def _thread_key(platform: str, item: InboundItem, known: dict[str, str]) -> str:
    """The conversation an item belongs to.

    X: its `conversation_id` (the root tweet of the reply chain). Facebook: the top-level
    comment, i.e. the parent unless the parent is the post itself; Graph nests one level, and a
    deeper parent we already hold is followed to its own thread.
    """
    if platform == "facebook":
        parent = item.in_reply_to_id
        post = item.our_post_id or item.conversation_id
        if parent and parent != post:
            return known.get(parent, parent)
        return item.external_id
    return item.conversation_id or known.get(item.in_reply_to_id or "", "") or item.external_id


def _rules_for(agency: Agency) -> list[TriageRule]:
    return list(TriageRule.objects.filter(agency=agency, enabled=True))


NOT_MATCHED = triage.Triage(Category.OTHER, 0, ())


class _Triager:
    """`triage.classify` for many messages under one agency's rules, with a prefilter.

    A term can only match a text that holds each of its words literally (classify's pattern
    is those words, escaped, joined by whitespace, with optional word boundaries around), so
    each term's longest word is looked for first with a substring test, which costs a
    fraction of a regex search. `classify` then sees only the rules with a candidate term,
    holding only those terms: the same result as all rules with all terms (a term or rule
    that cannot match adds nothing, and the order is kept), for a handful of regex searches
    per message instead of one per term (about 280 with the default rules).
    """

    def __init__(self, rules: Sequence[TriageRule]) -> None:
        self.rules = list(rules)
        self.needles: list[tuple[str, int, int]] = []  # (needle, rule index, term index)
        for r, rule in enumerate(self.rules):
            for t, term in enumerate(rule.terms or []):
                needle = _needle(term)
                if needle is not None:
                    self.needles.append((needle, r, t))
        self._subsets: dict[tuple[tuple[int, int], ...], list[triage.RuleSpec]] = {}

    def classify(self, text: str) -> triage.Triage:
        folded = triage.normalise(text)
        found = tuple((r, t) for needle, r, t in self.needles if needle in folded)
        if not found:
            return NOT_MATCHED
        subset = self._subsets.get(found)
        if subset is None:
            subset = self._subsets[found] = self._subset(found)
        return triage.classify(text, subset)

    def _subset(self, found: tuple[tuple[int, int], ...]) -> list[triage.RuleSpec]:
        terms: dict[int, list[str]] = {}
        for r, t in found:  # in rule order, then term order
            terms.setdefault(r, []).append(self.rules[r].terms[t])
        return [
            triage.RuleSpec(
                category=self.rules[r].category,
                terms=candidates,
                language=self.rules[r].language,
                priority=self.rules[r].priority,
                enabled=self.rules[r].enabled,
            )
            for r, candidates in terms.items()
        ]


class _PullShared:
    """What every page of one pull reads once: the inbox settings and the triage rules.

    Read when a page first has something new, inside that page's transaction (creating the
    default rules the first time, as `inbox_settings_ensure` does).
    """

    def __init__(self, agency: Agency) -> None:
        self.agency = agency
        self._inbox: InboxSettings | None = None
        self._triager: _Triager | None = None

    def inbox(self) -> InboxSettings:
        if self._inbox is None:
            self._inbox = inbox_settings_ensure(agency=self.agency)
        return self._inbox

    def triager(self) -> _Triager:
        if self._triager is None:
            self.inbox()  # the defaults exist before the rules are read
            self._triager = _Triager(_rules_for(self.agency))
        return self._triager


def _needle(term: object) -> str | None:
    """The longest word of a term as classify folds it; None for a term that never matches."""
    words = triage.normalise(str(term)).strip().rstrip("*").split()
    return max(words, key=len) if words else None


# --- Inserting many rows -------------------------------------------------------------------

# Field types whose Python values csv writes as PostgreSQL reads them in COPY's CSV format:
# text quoted, numbers and booleans bare ("True" is a boolean to PostgreSQL), datetimes as
# str() does (ISO with the offset). None is written as a marker that FORCE_NULL turns into
# NULL (csv in Python 3.11 cannot write an unquoted empty field, COPY's CSV NULL).
_COPY_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateTimeField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _insert_rows(model: type[Model], names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows given as tuples of the fields `names` (foreign keys as ids); every other
    field gets its default. No primary keys come back, no signals are sent.

    On PostgreSQL one COPY (CSV written by the csv module, in C), about half the database
    time of multi-row INSERTs and a fraction of the Python time of building model instances
    for bulk_create; elsewhere, or for a field type not listed above, bulk_create.
    """
    if not rows:
        return
    fields = {f.name: f for f in model._meta.concrete_fields}
    given = [fields[name] for name in names]
    rest = [f for f in model._meta.concrete_fields if f.name not in names and not f.primary_key]
    kinds = [f.get_internal_type() for f in (*given, *rest)]
    if connection.vendor != "postgresql" or not set(kinds) <= _COPY_AS_IS | {"JSONField"}:
        attnames = [f.attname for f in given]
        model.objects.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows],
            batch_size=INSERT_BATCH,
        )
        return
    as_json = [(i, f.encoder) for i, f in enumerate(given) if f.get_internal_type() == "JSONField"]
    tail = tuple(
        json.dumps(value, cls=f.encoder) if kind == "JSONField" and value is not None else value
        for f, kind in zip(rest, kinds[len(given) :], strict=True)
        for value in [f.get_default()]
    )
    # Random, so no text a citizen writes can be read as NULL.
    null = f"\\N{uuid.uuid4().hex}"

    def prepared(row: tuple[Any, ...]) -> list[Any]:
        out = [*row, *tail]
        for i, encoder in as_json:
            if out[i] is not None:
                out[i] = json.dumps(out[i], cls=encoder)
        return [null if v is None else v for v in out]

    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(
        map(prepared, rows)
    )
    buffer.seek(0)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in (*given, *rest))
    options = f"FORMAT csv, NULL '{null}', FORCE_NULL ({columns})"
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN WITH ({options})", buffer
        )


def _store_page(
    *,
    account: PlatformAccount,
    cursor_id: int,
    token: str,
    page: Page,
    shared: _PullShared | None = None,
) -> Counter[str] | None:
    """Upsert one page and move the cursor, in one transaction. None if the claim was lost."""
    with transaction.atomic(), audit_batch():
        cursor = PullCursor.objects.select_for_update().get(pk=cursor_id)
        if cursor.claim_token != token:
            return None
        counts = _upsert(
            account=account, items=page.items, shared=shared or _PullShared(account.agency)
        )
        now = timezone.now()
        if page.next_cursor:
            cursor.cursor = page.next_cursor
        cursor.updated_at = now
        cursor.save(update_fields=["cursor", "updated_at"])
        if counts["added"]:
            # Last: the audit chain head stays locked until commit.
            audit_record(
                action="engagement.pull",
                actor=None,
                agency=account.agency,
                target=account,
                data={
                    "added": counts["added"],
                    "conversations_created": counts["conversations_created"],
                    "urgent": counts["urgent_notified"],
                    "skipped_elsewhere": counts["skipped_elsewhere"],
                    "cursor": cursor.cursor,
                },
            )
        return counts


def _upsert(
    *, account: PlatformAccount, items: Sequence[InboundItem], shared: _PullShared
) -> Counter[str]:
    counts: Counter[str] = Counter(fetched=len(items))
    agency = account.agency
    platform = account.platform
    by_id: dict[str, InboundItem] = {}
    for item in items:
        by_id.setdefault(str(item.external_id), item)
    if not by_id:
        return counts

    # Replays: ids already stored. The constraint is on (platform, external id), so the
    # lookup is too; only ids and account ids are read here, nothing of another agency's.
    held: dict[str, int] = {}
    for chunk in _chunks(list(by_id)):
        held.update(
            Message.objects.filter(platform=platform, external_id__in=chunk).values_list(
                "external_id", "conversation__account_id"
            )
        )
    elsewhere = [i for i, acc in held.items() if acc != account.pk]
    if elsewhere:
        counts["skipped_elsewhere"] = len(elsewhere)
        log.warning(
            "%s: %d inbound ids are already held under another account; skipped",
            account,
            len(elsewhere),
        )
    new = [i for i in by_id.values() if i.external_id not in held]
    if not new:
        return counts
    new.sort(key=lambda i: (i.created_at, i.external_id))

    # Thread keys, following parents we already hold (this account only) or see in this page.
    known: dict[str, str] = {}
    parents = sorted(
        {i.in_reply_to_id for i in new if i.in_reply_to_id} - {i.external_id for i in new}
    )
    for chunk in _chunks(parents):
        known.update(
            Message.objects.filter(
                agency=agency,
                conversation__account=account,
                platform=platform,
                external_id__in=chunk,
            ).values_list("external_id", "conversation__root_external_id")
        )
    keys: dict[str, str] = {}
    for item in new:  # oldest first, so a parent is keyed before its replies
        keys[item.external_id] = _thread_key(platform, item, known)
        known[item.external_id] = keys[item.external_id]

    inbox = shared.inbox()
    triager = shared.triager()
    triaged = {i.external_id: triager.classify(i.text) for i in new}

    conversations = _conversations_for(
        account=account, inbox=inbox, new=new, keys=keys, triaged=triaged, counts=counts
    )

    received = timezone.now()
    _insert_rows(
        Message,
        MESSAGE_FIELDS,
        [
            (
                agency.pk,
                conversations[keys[i.external_id]].pk,
                platform,
                i.external_id,
                i.in_reply_to_id or "",
                i.author_handle[:100],
                i.author_name[:200],
                i.author_id[:100],
                i.text,
                i.created_at,
                received,
                Direction.INBOUND,
                i.kind,
                triage.language_of(i.text),
                triaged[i.external_id].category,
                triaged[i.external_id].priority,
                [list(m) for m in triaged[i.external_id].matched_terms],
                i.raw,
            )
            for i in new
        ],
    )
    counts["added"] = len(new)
    _notify_urgent(account=account, conversations=conversations.values(), counts=counts)
    return counts


MESSAGE_FIELDS = (
    "agency",
    "conversation",
    "platform",
    "external_id",
    "parent_external_id",
    "author_handle",
    "author_name",
    "author_external_id",
    "text",
    "created_at",
    "received_at",
    "direction",
    "kind",
    "language",
    "category",
    "priority",
    "triage_terms",
    "raw",
)
CONVERSATION_FIELDS = (
    "agency",
    "account",
    "platform",
    "root_external_id",
    "post_external_id",
    "our_post",
    "our_target",
    "status",
    "category",
    "priority",
    "urgent",
    "message_count",
    "snippet",
    "last_activity_at",
    "first_inbound_at",
    "response_due_at",
    "created_at",
)
CONVERSATION_FOLDED = [
    "status",
    "category",
    "priority",
    "urgent",
    "message_count",
    "snippet",
    "last_activity_at",
    "our_post",
    "our_target",
    "post_external_id",
    "response_due_at",
]


def _conversations_for(
    *,
    account: PlatformAccount,
    inbox: InboxSettings,
    new: list[InboundItem],
    keys: dict[str, str],
    triaged: dict[str, triage.Triage],
    counts: Counter[str],
) -> dict[str, Conversation]:
    """Find or create the conversation of each thread key, and fold the new messages in.

    A new conversation is folded before it is inserted, so it costs one multi-row INSERT; only
    conversations that already existed are updated (in small batches: Django's bulk_update
    writes one CASE per column with a branch per row, which PostgreSQL evaluates row by row).
    """
    agency = account.agency
    wanted = sorted(set(keys.values()))
    found: dict[str, Conversation] = {}
    for chunk in _chunks(wanted):
        found.update(
            (c.root_external_id, c)
            for c in Conversation.objects.filter(
                agency=agency, account=account, root_external_id__in=chunk
            )
        )
    by_key: dict[str, list[InboundItem]] = {}
    for item in new:
        by_key.setdefault(keys[item.external_id], []).append(item)

    targets = _targets_for(account, {i.our_post_id for i in new if i.our_post_id})
    tz = agency.tzinfo
    office_days = list(inbox.office_days or [])
    to_create: list[Conversation] = []
    changed: list[Conversation] = []
    for key, thread in by_key.items():
        conversation = found.get(key)
        if conversation is None:
            first = thread[0]
            urgent = any(triaged[i.external_id].category == Category.URGENT for i in thread)
            conversation = Conversation(
                agency=agency,
                account=account,
                platform=account.platform,
                root_external_id=key,
                post_external_id=_post_external_id(account.platform, first),
                status=ConversationStatus.OPEN,
                last_activity_at=first.created_at,
                first_inbound_at=first.created_at,
                response_due_at=response_due_at(
                    start=first.created_at,
                    target_minutes=inbox.first_response_target_minutes,
                    office_start=inbox.office_hours_start,
                    office_end=inbox.office_hours_end,
                    office_days=office_days,
                    tz=tz,
                    urgent=urgent,
                ),
            )
            to_create.append(conversation)
        else:
            changed.append(conversation)
        _fold(conversation, thread, account=account, inbox=inbox, triaged=triaged, targets=targets)
    if to_create:
        attnames = [Conversation._meta.get_field(name).attname for name in CONVERSATION_FIELDS]
        _insert_rows(
            Conversation,
            CONVERSATION_FIELDS,
            [tuple(getattr(c, attname) for attname in attnames) for c in to_create],
        )
        counts["conversations_created"] = len(to_create)
        # The primary keys, by the unique (account, root_external_id).
        pks: dict[str, int] = {}
        for chunk in _chunks([c.root_external_id for c in to_create]):
            pks.update(
                Conversation.objects.filter(
                    account=account, root_external_id__in=chunk
                ).values_list("root_external_id", "pk")
            )
        for conversation in to_create:
            conversation.pk = pks[conversation.root_external_id]
            conversation._state.adding = False
    if changed:
        Conversation.objects.bulk_update(changed, CONVERSATION_FOLDED, batch_size=UPDATE_BATCH)
    return {c.root_external_id: c for c in (*to_create, *changed)}


def _fold(
    conversation: Conversation,
    thread: list[InboundItem],
    *,
    account: PlatformAccount,
    inbox: InboxSettings,
    triaged: dict[str, triage.Triage],
    targets: dict[str, tuple[int, int]],
) -> None:
    """Fold a thread's new messages (oldest first) into its conversation, in memory."""
    for item in thread:
        result = triaged[item.external_id]
        if result.category != Category.OTHER and _outranks(result, conversation):
            conversation.category = result.category
            conversation.priority = result.priority
            conversation.urgent = conversation.urgent or result.category == Category.URGENT
        if result.category == Category.URGENT and conversation.first_response_at is None:
            # Urgent is due at any hour: bring the target forward if office hours put it off.
            urgent_due = item.created_at + timedelta(minutes=inbox.first_response_target_minutes)
            if conversation.response_due_at is None or urgent_due < conversation.response_due_at:
                conversation.response_due_at = urgent_due
        if item.created_at >= conversation.last_activity_at:
            conversation.last_activity_at = item.created_at
            conversation.snippet = item.text[:280]
        if item.our_post_id and conversation.our_target_id is None:
            target = targets.get(item.our_post_id)
            if target is not None:
                conversation.our_target_id, conversation.our_post_id = target
        if not conversation.post_external_id:
            conversation.post_external_id = _post_external_id(account.platform, item)
    conversation.message_count += len(thread)
    if conversation.status != ConversationStatus.OPEN:
        conversation.status = ConversationStatus.OPEN  # a new message reopens it


def _outranks(result: triage.Triage, conversation: Conversation) -> bool:
    """Whether a message is more pressing than its conversation so far (urgent always is)."""
    mine = (result.category == Category.URGENT, result.priority)
    theirs = (conversation.category == Category.URGENT, conversation.priority)
    return mine > theirs or (conversation.category == Category.OTHER and mine >= theirs)


def _post_external_id(platform: str, item: InboundItem) -> str:
    if item.our_post_id:
        return item.our_post_id
    if platform == "facebook":
        return item.conversation_id or ""
    return ""


def _targets_for(account: PlatformAccount, external_ids: set[str]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(sorted(external_ids)):
        for ext, target_id, post_id in PostTarget.objects.filter(
            account=account, external_id__in=chunk
        ).values_list("external_id", "pk", "post_id"):
            out[ext] = (target_id, post_id)
    return out


def _notify_urgent(*, account: PlatformAccount, conversations: Any, counts: Counter[str]) -> None:
    """Tell the agency's supervisors about each newly urgent conversation, once."""
    fresh = [c for c in conversations if c.urgent and c.urgent_notified_at is None]
    if not fresh:
        return
    now = timezone.now()
    # Conditional on not yet announced: once per conversation, whatever pulls come later.
    unannounced = set(
        Conversation.objects.filter(
            pk__in=[c.pk for c in fresh], urgent_notified_at__isnull=True
        ).values_list("pk", flat=True)
    )
    Conversation.objects.filter(pk__in=unannounced, urgent_notified_at__isnull=True).update(
        urgent_notified_at=now
    )
    fresh = [c for c in fresh if c.pk in unannounced]
    supervisors = list(
        User.objects.filter(
            memberships__agency=account.agency,
            memberships__role=Role.SUPERVISOR,
            is_active=True,
        ).distinct()
    )
    inbox_url = reverse("engagement:inbox")
    with translation.override(account.agency.language):
        for conversation in fresh:
            conversation.urgent_notified_at = now
            notify(
                agency=account.agency,
                users=supervisors,
                message=_("Urgent message on %(account)s: %(text)s")
                % {"account": account, "text": conversation.snippet[:300]},
                link=f"{inbox_url}?conversation={conversation.pk}",
            )
    counts["urgent_notified"] = len(fresh)


# --- Beat -------------------------------------------------------------------------------


def _locked(queryset: QuerySet[PullCursor]) -> QuerySet[PullCursor]:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def dispatch_pulls(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Enqueue `engagement.pull_account` for each active account whose pull is due.

    Creates the missing cursors first. A dispatched cursor is not dispatched again until the
    pull ran or `BEAT_INBOX_DISPATCH_STALE_SECONDS` passed (a message lost with the broker).
    Returns the account ids enqueued.
    """
    from engagement import tasks

    now = now or timezone.now()
    limit = limit or int_setting("BEAT_INBOX_DISPATCH_BATCH", 500)
    missing = PlatformAccount.objects.filter(
        status=PlatformAccountStatus.ACTIVE, pull_cursor__isnull=True
    ).values_list("pk", "agency_id")
    PullCursor.objects.bulk_create(
        [PullCursor(account_id=pk, agency_id=agency_id) for pk, agency_id in missing],
        ignore_conflicts=True,
    )
    stale = now - timedelta(seconds=int_setting("BEAT_INBOX_DISPATCH_STALE_SECONDS", 120))
    with transaction.atomic():
        due = list(
            _locked(
                PullCursor.objects.filter(
                    Q(account__status=PlatformAccountStatus.ACTIVE),
                    Q(next_pull_at__isnull=True) | Q(next_pull_at__lte=now),
                    Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale),
                    Q(lease_until__isnull=True) | Q(lease_until__lt=now),
                ).order_by(F("next_pull_at").asc(nulls_first=True), "pk")
            ).values_list("pk", "account_id")[:limit]
        )
        if due:
            PullCursor.objects.filter(pk__in=[pk for pk, _a in due]).update(dispatched_at=now)
            account_ids = [a for _pk, a in due]
            transaction.on_commit(lambda: [tasks.pull_account.delay(pk) for pk in account_ids])
    return [a for _pk, a in due]
