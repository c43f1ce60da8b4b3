"""`make seed-scale`: fill PostgreSQL with the analytics workload of a large force.

One agency ("Scale Metropolitan Police", slug scale-metro, Europe/London) holds, over the two
years up to now:
- 100,000 published posts (every third one to two accounts: about 133,000 targets), in every
  style, one in ten attached to one of 24 campaigns, with their rollup row (TargetMetrics);
- 5,000,000 metric snapshots: each target's curve, every 15 minutes for its first 4 hours,
  hourly to 24 hours, then daily to day 20 (the newest posts have fewer points: no snapshot
  lies in the future);
- 1,000,000 inbox messages in about 250,000 conversations, triaged, most answered, with the
  response-time figures the inbox writes;
- a daily audience snapshot of each of its 20 accounts.
Four other agencies hold 2% of that each, so every dashboard query must find one agency's rows
among others'. The numbers are made with a fixed seed, so two runs give the same database.

Rows are written with COPY (engagement.services' bulk writer) in chunks, then VACUUM ANALYZE.
The database (DATABASE_URL, default beat_scale) is dropped and created again when it is not
already seeded at these sizes, or with --force; it refuses a database that holds agencies not
made by this script. `make bench-dashboard` reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from benchlib import bench_secrets, ensure_database, ensure_services, say

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/beat_scale"
SLUG_PREFIX = "scale-"
MAIN_SLUG = "scale-metro"
DAYS = 730
ACCOUNTS = 20
CAMPAIGNS = 24
OTHER_AGENCIES = 4
OTHER_SHARE = 0.02
ANALYST_EMAIL = "analyst@scale-metro.invalid"
CHUNK_TARGETS = 4000
CHUNK_CONVERSATIONS = 20000
# A curve's points, as offsets from publication: 16 quarter-hours, hourly to a day, then daily.
CURVE = (
    [timedelta(minutes=15 * k) for k in range(1, 17)]
    + [timedelta(hours=h) for h in range(5, 25)]
    + [timedelta(days=d) for d in range(2, 6)]
)
STYLES = ["narrative", "appeal", "announcement", "warning", "community", "campaign"]
# How well each style does, relative to the mean (narrative posts do best, as Busan found).
STYLE_PULL = {
    "narrative": 1.8,
    "appeal": 1.3,
    "announcement": 0.7,
    "warning": 1.0,
    "community": 0.9,
    "campaign": 1.1,
}
CATEGORIES = ["question", "praise", "complaint", "tip", "abuse", "urgent", "other"]
CATEGORY_WEIGHTS = [30, 22, 15, 10, 6, 2, 15]
PRIORITY = {
    "urgent": 100,
    "abuse": 60,
    "tip": 50,
    "complaint": 40,
    "question": 30,
    "praise": 10,
    "other": 0,
}


@dataclass(frozen=True)
class Sizes:
    posts: int
    messages: int
    snapshots: int

    def scaled(self, share: float) -> Sizes:
        return Sizes(
            posts=max(10, int(self.posts * share)),
            messages=max(40, int(self.messages * share)),
            snapshots=max(400, int(self.snapshots * share)),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--snapshots", type=int, default=5_000_000)
    parser.add_argument("--force", action="store_true", help="drop and seed again")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    args = parser.parse_args()
    if args.posts < 10 or args.messages < 40 or args.snapshots < args.posts:
        parser.error("need at least 10 posts, 40 messages and one snapshot per post")
    sizes = Sizes(posts=args.posts, messages=args.messages, snapshots=args.snapshots)
    started = time.monotonic()
    if seeded(args.database_url, sizes) and not args.force:
        say(
            f"seed-scale: {name_of(args.database_url)} already holds this data (--force seeds again)"
        )
        return 0
    recreate(args.database_url)
    setup_django(args.database_url)
    counts = seed(sizes)
    say(
        "seed-scale: "
        + " ".join(f"{key}={value}" for key, value in counts.items())
        + f" took_s={time.monotonic() - started:.0f}"
    )
    return 0


# --- Database ---------------------------------------------------------------------------------


def name_of(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def _connect(database_url: str, dbname: str | None = None) -> Any:
    import psycopg2

    parts = urlsplit(database_url)
    return psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=dbname or name_of(database_url),
    )


def marker(sizes: Sizes) -> str:
    return (
        f"seed-scale v1 posts={sizes.posts} messages={sizes.messages} snapshots={sizes.snapshots}"
    )


def seeded(database_url: str, sizes: Sizes) -> bool:
    """True when the database holds a complete seed of these sizes (its marker is written last)."""
    import psycopg2

    ensure_services(database_url, os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    try:
        conn = _connect(database_url)
    except psycopg2.OperationalError:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT name FROM accounts_agency WHERE slug = %s", (MAIN_SLUG,))
            row = cur.fetchone()
            if row is None:
                return False
            cur.execute(
                "SELECT count(*) FROM accounts_auditevent WHERE action = %s AND data->>'marker' = %s",
                ("scale.seeded", marker(sizes)),
            )
            return cur.fetchone()[0] == 1
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def recreate(database_url: str) -> None:
    """Drop and create the database, refusing one that holds agencies this script did not make."""
    import psycopg2
    from psycopg2 import sql

    name = name_of(database_url)
    ensure_database(database_url)
    conn = _connect(database_url)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute(
                    "SELECT count(*) FROM accounts_agency WHERE slug NOT LIKE %s",
                    (SLUG_PREFIX + "%",),
                )
                foreign = cur.fetchone()[0]
            except psycopg2.Error:
                foreign = 0
    finally:
        conn.close()
    if foreign:
        raise SystemExit(
            f"seed-scale: {name} holds {foreign} agency(ies) not made by seed-scale; point "
            "DATABASE_URL at a database of its own"
        )
    admin = _connect(database_url, dbname="postgres")
    try:
        admin.autocommit = True
        with admin.cursor() as cur:
            say(f"setup: creating database {name} afresh")
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()


def setup_django(database_url: str) -> None:
    """Settings as production would have them (DEBUG off), on this database."""
    os.environ.update(
        {
            **bench_secrets(),
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SESSION_COOKIE_SECURE": "0",
            "DJANGO_CSRF_COOKIE_SECURE": "0",
            "DJANGO_STATIC_MANIFEST": "0",
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
    )
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


# --- Seeding ----------------------------------------------------------------------------------


def seed(sizes: Sizes) -> dict[str, int]:
    from django.core.management import call_command
    from django.db import connection

    from accounts.audit import audit_record

    call_command("migrate", "--no-input", verbosity=0)
    totals = {"posts": 0, "targets": 0, "snapshots": 0, "conversations": 0, "messages": 0}
    now = datetime.now(UTC).replace(microsecond=0)
    plan = [("Scale Metropolitan Police", MAIN_SLUG, "Europe/London", "en", sizes, 1)]
    zones = ["Asia/Seoul", "Europe/Dublin", "America/New_York", "Australia/Sydney"]
    for i in range(OTHER_AGENCIES):
        plan.append(
            (
                f"Scale Other {i + 1}",
                f"{SLUG_PREFIX}other-{i + 1}",
                zones[i % len(zones)],
                "ko" if zones[i % len(zones)] == "Asia/Seoul" else "en",
                sizes.scaled(OTHER_SHARE),
                i + 2,
            )
        )
    main_agency = None
    for name, slug, tz, language, agency_sizes, number in plan:
        started = time.monotonic()
        agency, counts = seed_agency(
            name=name,
            slug=slug,
            tz=tz,
            language=language,
            sizes=agency_sizes,
            number=number,
            now=now,
        )
        main_agency = main_agency or agency
        for key, value in counts.items():
            if slug == MAIN_SLUG:
                totals[key] = value
        say(
            f"seeded {slug}: "
            + " ".join(f"{k}={v}" for k, v in counts.items())
            + f" in {time.monotonic() - started:.0f} s"
        )
    say("setup: VACUUM ANALYZE")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    audit_record(
        action="scale.seeded",
        actor=None,
        agency=main_agency,
        target=main_agency,
        data={"marker": marker(sizes), **totals},
    )
    return totals


def seed_agency(
    *, name: str, slug: str, tz: str, language: str, sizes: Sizes, number: int, now: datetime
) -> tuple[Any, dict[str, int]]:
    from django.db import transaction

    from accounts.models import Role, User
    from accounts.services import agency_create, membership_add, platform_account_connect
    from campaigns.models import Campaign

    rng = random.Random(f"beat-scale-{slug}")  # noqa: S311 (made-up data, not secrets)
    with transaction.atomic():
        agency = agency_create(name=name, slug=slug, timezone_name=tz, language=language, by=None)
        people = {}
        for role in (Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN):
            email = (
                ANALYST_EMAIL
                if (slug == MAIN_SLUG and role == Role.ANALYST)
                else (f"{role}@{slug}.invalid")
            )
            user = User.objects.create_user(email=email, full_name=f"{name} {role}")
            membership_add(agency=agency, user=user, role=role, by=None)
            people[role] = user
        accounts = []
        for i in range(ACCOUNTS if slug == MAIN_SLUG else 4):
            platform = "x" if i % 2 == 0 else "facebook"
            external_id = str(1_900_000_000_000_000_000 + number * 1000 + i)
            account = platform_account_connect(
                agency=agency,
                by=None,
                platform=platform,
                handle=f"@{slug.replace('-', '')}{i}" if platform == "x" else f"{name} {i}",
                external_id=external_id,
                credentials=(
                    {
                        "consumer_key": "scale",
                        "consumer_secret": "scale",
                        "access_token": f"scale-{slug}-{i}",
                        "access_token_secret": "scale",
                    }
                    if platform == "x"
                    else {"page_access_token": f"scale-{slug}-{i}"}
                ),
                display_name=f"{name} {i}",
            )
            accounts.append(account)
        campaigns = []
        first_day = (now - timedelta(days=DAYS)).date()
        for c in range(CAMPAIGNS if slug == MAIN_SLUG else 2):
            starts = first_day + timedelta(days=c * DAYS // CAMPAIGNS)
            campaigns.append(
                Campaign.objects.create(
                    agency=agency,
                    name=f"{name} campaign {c + 1}",
                    hashtags=f"#Scale{number}C{c + 1}",
                    starts_on=starts,
                    ends_on=starts + timedelta(days=45),
                    owner=people[Role.SUPERVISOR],
                )
            )
    counts = seed_posts(rng, agency, accounts, campaigns, people[Role.OFFICER], sizes, now, number)
    counts.update(seed_inbox(rng, agency, accounts, sizes, now, number))
    seed_audience(rng, agency, accounts, now)
    return agency, counts


def _next_ids(model: Any, count: int) -> int:
    """Reserve `count` primary keys of `model`'s sequence; returns the first."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        sequence = cur.fetchone()[0]
        cur.execute("SELECT setval(%s, nextval(%s) + %s - 1)", (sequence, sequence, count))
        last = cur.fetchone()[0]
    return last - count + 1


def _reach(rng: random.Random, style: str, local_hour: int, followers: int) -> int:
    """The impressions a post ends with: by style, by hour (evenings best), lognormal noise."""
    hour_pull = (
        0.5 + 0.9 * math.exp(-(((local_hour - 19) / 4.0) ** 2)) + 0.3 * (7 <= local_hour <= 9)
    )
    return int(followers * 0.08 * STYLE_PULL[style] * hour_pull * rng.lognormvariate(0, 0.6)) + 20


def seed_posts(
    rng: random.Random,
    agency: Any,
    accounts: list,
    campaigns: list,
    author: Any,
    sizes: Sizes,
    now: datetime,
    number: int,
) -> dict[str, int]:
    from django.db import transaction

    from engagement.models import MetricSnapshot, TargetMetrics
    from engagement.services import _insert_rows
    from posts.models import Post, PostTarget

    tz = ZoneInfo(agency.timezone)
    followers = {a.pk: 20_000 + rng.randrange(200_000) for a in accounts}
    n_posts = sizes.posts
    n_targets = n_posts + (n_posts + 2) // 3  # every third post, from the first, has two
    if sizes.snapshots > n_targets * len(CURVE):
        raise SystemExit(f"seed-scale: at most {len(CURVE)} snapshots per target")
    post_id = _next_ids(Post, n_posts)
    target_id = _next_ids(PostTarget, n_targets)
    snapshot_budget = sizes.snapshots
    carry = 0
    span = DAYS * 86400
    start = now - timedelta(seconds=span)
    totals = {"posts": 0, "targets": 0, "snapshots": 0}
    p = 0
    t = 0
    while p < n_posts:
        posts, targets, rollups, snapshots = [], [], [], []
        for _ in range(min(CHUNK_TARGETS, n_posts - p)):
            pid = post_id + p
            # Evenly over the two years, newest first (so that the snapshots the newest posts
            # cannot have yet go to older ones), at a plausible local hour (07:00-22:59).
            day = start + timedelta(seconds=span * (n_posts - 1 - p) // n_posts)
            local = day.astimezone(tz).replace(
                hour=7 + rng.randrange(16), minute=rng.randrange(60), second=0
            )
            published = min(local.astimezone(UTC), now - timedelta(minutes=5))
            style = rng.choices(STYLES, weights=[30, 18, 22, 10, 12, 8])[0]
            campaign = rng.choice(campaigns) if rng.random() < 0.1 else None
            body = f"Scale post {number}-{p}: {style} update from the desk."
            posts.append(
                (
                    pid,
                    agency.pk,
                    author.pk,
                    body,
                    style,
                    "published",
                    "post",
                    campaign.pk if campaign else None,
                    published,
                    published,
                    published,
                )
            )
            chosen = [accounts[p % len(accounts)]]
            if p % 3 == 0:
                chosen.append(accounts[(p + 7) % len(accounts)])
            for account in chosen:
                tid = target_id + t
                external = f"{number}{tid:012d}"
                targets.append(
                    (
                        tid,
                        agency.pk,
                        pid,
                        account.pk,
                        "published",
                        published,
                        published,
                        external,
                        published,
                    )
                )
                final = _reach(rng, style, local.hour, followers[account.pk])
                rate = 0.02 + 0.03 * rng.random() * STYLE_PULL[style] / 1.8
                # This target's share of the snapshots, plus what newer ones could not use.
                share = snapshot_budget * (t + 1) // n_targets - snapshot_budget * t // n_targets
                points = [published + offset for offset in CURVE if published + offset <= now]
                points = points[: share + carry]
                carry += share - len(points)
                last = (0, 0, 0, 0, 0)
                for at in points:
                    grown = 1 - math.exp(-(at - published).total_seconds() / 14400)
                    impressions = int(final * grown)
                    engaged = impressions * rate
                    last = (
                        impressions,
                        int(engaged * 0.6),
                        int(engaged * 0.15),
                        int(engaged * 0.2),
                        int(engaged * 0.05),
                    )
                    snapshots.append((tid, agency.pk, at, *last, int(engaged * 0.03)))
                rollups.append(
                    (
                        tid,
                        agency.pk,
                        account.pk,
                        pid,
                        account.platform,
                        style,
                        published,
                        *last,
                        sum(last[1:]),
                        points[-1] if points else None,
                        len(points),
                        _next_refresh(published, now),
                    )
                )
                t += 1
            p += 1
        with transaction.atomic():
            _insert_rows(
                Post,
                [
                    "id",
                    "agency",
                    "author",
                    "body",
                    "style",
                    "status",
                    "kind",
                    "campaign",
                    "scheduled_at",
                    "created_at",
                    "updated_at",
                ],
                posts,
            )
            _insert_rows(
                PostTarget,
                [
                    "id",
                    "agency",
                    "post",
                    "account",
                    "status",
                    "due_at",
                    "next_attempt_at",
                    "external_id",
                    "published_at",
                ],
                targets,
            )
            _insert_rows(
                TargetMetrics,
                [
                    "target",
                    "agency",
                    "account",
                    "post",
                    "platform",
                    "style",
                    "published_at",
                    "impressions",
                    "likes",
                    "replies",
                    "shares",
                    "quotes",
                    "engagements",
                    "measured_at",
                    "snapshot_count",
                    "next_refresh_at",
                ],
                rollups,
            )
            _insert_rows(
                MetricSnapshot,
                [
                    "target",
                    "agency",
                    "taken_at",
                    "impressions",
                    "likes",
                    "replies",
                    "shares",
                    "quotes",
                    "bookmarks",
                ],
                snapshots,
            )
        totals["posts"] += len(posts)
        totals["targets"] += len(targets)
        totals["snapshots"] += len(snapshots)
        if agency.slug == MAIN_SLUG and p % (CHUNK_TARGETS * 5) == 0:
            say(f"  posts {p}/{n_posts}, snapshots {totals['snapshots']}")
    return totals


def _next_refresh(published: datetime, now: datetime) -> datetime | None:
    """Where the collector's schedule would stand: 15 minutes, daily, or done after 30 days."""
    age = now - published
    if age < timedelta(days=1):
        return now + timedelta(minutes=15)
    if age < timedelta(days=30):
        return now + timedelta(days=1)
    return None


def seed_inbox(
    rng: random.Random, agency: Any, accounts: list, sizes: Sizes, now: datetime, number: int
) -> dict[str, int]:
    from django.db import transaction

    from engagement.models import Conversation, Message
    from engagement.services import _insert_rows

    n_messages = sizes.messages
    n_conversations = max(1, n_messages // 4)
    conversation_id = _next_ids(Conversation, n_conversations)
    span = DAYS * 86400
    start = now - timedelta(seconds=span)
    totals = {"conversations": 0, "messages": 0}
    left = n_messages
    c = 0
    while c < n_conversations:
        conversations, messages = [], []
        for _ in range(min(CHUNK_CONVERSATIONS, n_conversations - c)):
            cid = conversation_id + c
            account = accounts[c % len(accounts)]
            remaining_convs = n_conversations - c
            size = max(1, min(left - (remaining_convs - 1), rng.choice((2, 3, 4, 4, 5, 6))))
            if remaining_convs == 1:
                size = left
            left -= size
            began = start + timedelta(seconds=span * c // n_conversations + rng.randrange(3600))
            category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
            urgent = category == "urgent"
            due = began + timedelta(minutes=15 if urgent else 60 + rng.randrange(600))
            answered = rng.random() < 0.8 and size > 1
            first_response = (
                began + timedelta(seconds=int(rng.lognormvariate(8.0, 1.0))) if answered else None
            )
            if first_response and first_response > now:
                first_response = None
            times = sorted(began + timedelta(seconds=rng.randrange(86400)) for _ in range(size - 1))
            times = [began, *times]
            times = [min(at, now) for at in times]
            root = f"s{number}c{cid}"
            kind = "reply" if account.platform == "x" else "comment"
            for m, at in enumerate(times):
                outbound = answered and m == 1
                sent_at = first_response if outbound else at
                messages.append(
                    (
                        cid,
                        agency.pk,
                        account.platform,
                        f"{root}m{m}",
                        f"user{rng.randrange(40000)}",
                        f"Person {m}",
                        f"u{number}-{rng.randrange(40000)}",
                        "Thank you, we are looking into it."
                        if outbound
                        else f"Message {m} about {category}",
                        sent_at,
                        sent_at,
                        "outbound" if outbound else "inbound",
                        kind,
                        "other" if outbound else category,
                        0 if outbound else PRIORITY[category],
                    )
                )
            conversations.append(
                (
                    cid,
                    agency.pk,
                    account.pk,
                    account.platform,
                    root,
                    "closed" if answered and rng.random() < 0.7 else "open",
                    category,
                    PRIORITY[category],
                    urgent,
                    size,
                    f"Message 0 about {category}",
                    max(times + ([first_response] if first_response else [])),
                    began,
                    due,
                    first_response,
                    int((first_response - began).total_seconds()) if first_response else None,
                    began,
                )
            )
            c += 1
        with transaction.atomic():
            _insert_rows(
                Conversation,
                [
                    "id",
                    "agency",
                    "account",
                    "platform",
                    "root_external_id",
                    "status",
                    "category",
                    "priority",
                    "urgent",
                    "message_count",
                    "snippet",
                    "last_activity_at",
                    "first_inbound_at",
                    "response_due_at",
                    "first_response_at",
                    "first_response_seconds",
                    "created_at",
                ],
                conversations,
            )
            _insert_rows(
                Message,
                [
                    "conversation",
                    "agency",
                    "platform",
                    "external_id",
                    "author_handle",
                    "author_name",
                    "author_external_id",
                    "text",
                    "created_at",
                    "received_at",
                    "direction",
                    "kind",
                    "category",
                    "priority",
                ],
                messages,
            )
        totals["conversations"] += len(conversations)
        totals["messages"] += len(messages)
        if agency.slug == MAIN_SLUG and c % (CHUNK_CONVERSATIONS * 5) == 0:
            say(f"  conversations {c}/{n_conversations}, messages {totals['messages']}")
    return totals


def seed_audience(rng: random.Random, agency: Any, accounts: list, now: datetime) -> None:
    """A daily snapshot per account: steady growth, and one account whose following is
    mostly silent (bought followers), which the audience dashboard should flag."""
    from engagement.models import AccountSnapshot
    from engagement.services import _insert_rows

    rows = []
    today = now.date()
    for i, account in enumerate(accounts):
        base = 20_000 + int(hashlib.sha256(str(account.pk).encode()).hexdigest()[:6], 16) % 200_000
        bought = i == len(accounts) - 1
        for d in range(DAYS):
            day: date = today - timedelta(days=DAYS - 1 - d)
            followers = base + d * (40 + i) + (150_000 if bought and d > DAYS // 2 else 0)
            engaged = int((base + d * 20) * 0.01 * (0.8 + 0.4 * rng.random()))
            at = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
            rows.append((account.pk, agency.pk, day, at, followers, 500 + i, engaged))
    _insert_rows(
        AccountSnapshot,
        ["account", "agency", "taken_on", "taken_at", "followers", "following", "engaged_people"],
        rows,
    )


if __name__ == "__main__":
    sys.exit(main())
