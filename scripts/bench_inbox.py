"""`make bench-inbox`: N inbound messages from the sandbox through the real pull path.

    N=20000 make bench-inbox          # or: .venv/bin/python scripts/bench_inbox.py --messages 20000
    # also: --accounts 20 (half X, half Facebook), --posts 20 (ours per account), --workers 2

The sandbox runs as a subprocess with its own state file. Through its control API
(`POST /_sandbox/accounts/<platform>/<id>/inbound`) it gets a backlog of N public replies,
comments and mentions spread evenly over the accounts, all visible now: on X replies to our
posts, replies to those replies and standalone mentions (with replies of their own); on
Facebook top-level comments under our posts and replies to them. Beat's side is made through
the services: an agency with a supervisor (urgent messages notify supervisors) and the
connected accounts.

Phases, one line each:

- ingest: `engagement.services.account_pull` for every account, with the real tweepy and
  pyfacebook clients talking HTTP to the sandbox, round after round until no account's cursor
  moves. The pulls run in `--workers` processes forked from this one (2 by default, the
  machine's cores), one account at a time each, as a Celery prefork pool would run them; the
  broker is left out because the queue's own latency is bench-publish's subject, not this
  one's. Every message must be in PostgreSQL after it: per_s = N / the wall time of the rounds.
- replay: every cursor of the run set back to the start (lease and next pull cleared) and the
  same rounds again. replay_added is how many messages that added; it must be 0.
- floor: the same N rows (read back from engagement_message) written raw with one COPY into a
  fresh table made `LIKE engagement_message INCLUDING ALL` (same columns, defaults, unique
  constraint and indexes) with the same foreign keys, in one transaction.
  raw_per_s = N / that time, and ratio = per_s / raw_per_s. A multi-row INSERT of the same rows
  is timed too and printed for comparison; it is not the floor.

The last line reads exactly:

    bench-inbox: messages=N per_s=.. raw_per_s=.. ratio=.. replay_added=..

Exits non-zero when a message is missing, replay_added is not 0 or ratio is under the target
(0.25). Uses PostgreSQL (DATABASE_URL, default database beat_bench_inbox, created and migrated
if missing; it refuses a database holding agencies that are not a benchmark's) and starts
PostgreSQL and Redis if they are down, as bench-publish does. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from benchlib import BENCH_SLUG_PREFIX, Harness, say

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/beat_bench_inbox"
RATIO_TARGET = 0.25
FLOOR_SCHEMA = "bench_floor"


@dataclass
class Run:
    agency_id: int
    account_ids: list[int]
    sandbox_accounts: list[tuple[str, str]]  # (platform, external id), same order


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=int(os.environ.get("N") or 200_000))
    parser.add_argument("--accounts", type=int, default=int(os.environ.get("ACCOUNTS") or 20))
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("WORKERS") or 2), help="pull processes"
    )
    parser.add_argument("--posts", type=int, default=20, help="our posts per account (<= 25)")
    parser.add_argument("--ratio-target", type=float, default=RATIO_TARGET)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    args = parser.parse_args()
    if args.messages < 1 or args.accounts < 2:
        parser.error("--messages must be at least 1 and --accounts at least 2")
    if not 1 <= args.posts <= 25:
        # Without published targets the Facebook client reads the page's 25 newest posts.
        parser.error("--posts must be 1 to 25")

    h = Harness(
        "bench-inbox", workers=0, pool="solo", concurrency=1, database_url=args.database_url
    )
    try:
        with h.running():
            rc, last_line = run(h, args)
            h.keep_logs = rc != 0
    except KeyboardInterrupt:
        say("bench-inbox: interrupted; every process it started has been stopped")
        return 130
    say(last_line)  # after the clean-up, so it is the last line
    return rc


def run(h: Harness, args: argparse.Namespace) -> tuple[int, str]:
    from django.conf import settings

    # One round reads everything since the cursor (both clients follow every platform page);
    # a second round in the same pull would only confirm that nothing is newer.
    settings.BEAT_INBOX_MAX_PAGES = 1
    n = args.messages
    started = time.monotonic()
    h.start_sandbox()
    prepare_database()
    bench = create_data(h, args.accounts)
    seeded = seed_sandbox(h, bench, n, args.posts)
    say(
        f"setup: {n} inbound messages on {args.accounts} sandbox accounts (X and Facebook), "
        f"{args.posts} posts each; sandbox seeded in {seeded:.1f} s, ready in "
        f"{time.monotonic() - started:.1f} s; {args.workers} pull process(es)"
    )

    took, rounds, pulls = pull_until_still(bench, args.workers)
    stored = stored_count(bench)
    per_s = stored / took if took > 0 else float("nan")
    conversations, urgent_notes = inbox_summary(bench)
    say(
        f"ingest: {stored}/{n} messages in {conversations} conversations, {took:.2f} s, "
        f"{rounds} round(s), {pulls} pull(s); {urgent_notes} urgent notification(s); "
        f"per_s={per_s:.0f}"
    )

    reset_cursors(bench)
    replay_took, replay_rounds, _ = pull_until_still(bench, args.workers)
    replay_added = stored_count(bench) - stored
    say(
        f"replay: cursors reset, {replay_rounds} round(s) in {replay_took:.2f} s, "
        f"added {replay_added}; conversations now {inbox_summary(bench)[0]}"
    )

    raw_took, insert_took = floor(bench)
    raw_per_s = stored / raw_took if raw_took > 0 else float("nan")
    ratio = per_s / raw_per_s if raw_per_s > 0 else float("nan")
    say(
        f"floor: the same {stored} rows raw: COPY {raw_took:.2f} s (raw_per_s={raw_per_s:.0f}); "
        f"multi-row INSERT {insert_took:.2f} s ({stored / insert_took:.0f}/s, not the floor)"
    )

    ok = stored == n and replay_added == 0 and ratio >= args.ratio_target
    if not ok:
        say(
            f"bench-inbox: FAILED (targets: every message stored, replay_added=0, "
            f"ratio >= {args.ratio_target:g})"
        )
    line = (
        f"bench-inbox: messages={n} per_s={per_s:.0f} raw_per_s={raw_per_s:.0f} "
        f"ratio={ratio:.3f} replay_added={replay_added}"
    )
    return (0 if ok else 1), line


# --- Set-up -----------------------------------------------------------------------------------


def prepare_database() -> None:
    """Migrate, and start from an empty inbox: the size of the tables is part of the cost."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Agency

    call_command("migrate", "--no-input", verbosity=0)
    foreign = Agency.objects.exclude(slug__startswith=BENCH_SLUG_PREFIX).count()
    if foreign:
        raise RuntimeError(
            f"{connection.settings_dict['NAME']} holds {foreign} agency(ies) that are not from a "
            "benchmark: point DATABASE_URL at a database of its own"
        )
    with connection.cursor() as cur:
        # Earlier runs' inboxes and notifications (bench agencies only, checked above). Not
        # analysed afterwards on purpose: statistics saying "empty" make PostgreSQL plan the
        # foreign-key checks as sequential scans, cache those plans for the session, and then
        # every check at commit reads the whole growing table. After TRUNCATE the statistics
        # are unknown, the plans use the primary key, and autovacuum keeps them current as the
        # tables grow, as it does on any database in use.
        cur.execute(
            "TRUNCATE engagement_message, engagement_conversation, engagement_pullcursor, "
            "accounts_notification CASCADE"
        )
        cur.execute(f"DROP SCHEMA IF EXISTS {FLOOR_SCHEMA} CASCADE")  # an interrupted run's


def create_data(h: Harness, accounts: int) -> Run:
    """An agency with a supervisor, and `accounts` connected accounts (half X, half Facebook)."""
    from django.db import transaction

    from accounts.models import Role, User
    from accounts.services import agency_create, membership_add, platform_account_connect

    slug = f"{BENCH_SLUG_PREFIX}{h.run_id}".lower()[:60]
    with transaction.atomic():
        agency = agency_create(
            name=f"Bench {h.run_id}", slug=slug, timezone_name="UTC", language="en", by=None
        )
        for role in (Role.SUPERVISOR, Role.ADMIN):
            user = User.objects.create_user(
                email=f"{role}.{slug}@bench.invalid", full_name=f"Bench {role}"
            )
            membership_add(agency=agency, user=user, role=role, by=None)
    ids: list[int] = []
    sandbox_accounts: list[tuple[str, str]] = []
    for i in range(accounts):
        platform = "x" if i % 2 == 0 else "facebook"
        external_id = f"{1800000000000000000 + i}" if platform == "x" else f"{180000000000 + i}"
        token = f"bench-inbox-{platform}-{i}-{h.run_id}"
        h.sandbox(
            "POST",
            "/_sandbox/accounts",
            {
                "platform": platform,
                "external_id": external_id,
                "handle": f"benchdesk{i}",
                "name": f"Bench Desk {i}",
                "token": token,
                "language": "en",
            },
        )
        credentials = (
            {
                "consumer_key": "bench-ck",
                "consumer_secret": "bench-cs",
                "access_token": token,
                "access_token_secret": "bench-ats",
            }
            if platform == "x"
            else {"page_access_token": token}
        )
        account = platform_account_connect(
            agency=agency,
            by=None,
            platform=platform,
            handle=f"@benchdesk{i}" if platform == "x" else f"Bench Desk {i}",
            external_id=external_id,
            credentials=credentials,
            display_name=f"Bench Desk {i}",
        )
        ids.append(account.pk)
        sandbox_accounts.append((platform, external_id))
    return Run(agency_id=agency.pk, account_ids=ids, sandbox_accounts=sandbox_accounts)


def seed_sandbox(h: Harness, bench: Run, n: int, posts: int) -> float:
    """Give each account its share of the N messages; returns the seconds it took."""
    start = time.monotonic()
    accounts = bench.sandbox_accounts
    share, extra = divmod(n, len(accounts))
    for i, (platform, external_id) in enumerate(accounts):
        count = share + (1 if i < extra else 0)
        reply = h.sandbox(
            "POST",
            f"/_sandbox/accounts/{platform}/{external_id}/inbound",
            {"count": count, "posts": posts},
        )
        if reply["created"] != count:
            raise RuntimeError(f"the sandbox made {reply['created']} items, not {count}")
    return time.monotonic() - start


# --- Pulling ----------------------------------------------------------------------------------


def pull_until_still(bench: Run, workers: int) -> tuple[float, int, int]:
    """Pull every account, round after round, until no account's cursor moves.

    `workers` processes forked from this one each call `account_pull` for one account at a
    time, as a Celery prefork pool would (each with its own database connection and clients).
    `next_pull_at` is cleared before each pull (as the inbox tests do): the interval between
    scheduled pulls is not what is measured. Returns (seconds, rounds, pulls).
    """
    from django.db import connections

    from engagement.models import PullCursor

    # Fork every child now, while this process holds no connection, so none is shared; each
    # child opens its own on its first query.
    connections.close_all()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"))
    try:
        list(pool.map(time.sleep, [0.2] * workers))
        start = time.monotonic()
        pending = list(bench.account_ids)
        rounds = pulls = 0
        while pending:
            rounds += 1
            before = dict(
                PullCursor.objects.filter(account_id__in=pending).values_list(
                    "account_id", "cursor"
                )
            )
            PullCursor.objects.filter(account_id__in=pending).update(next_pull_at=None)
            results = list(pool.map(_pull, pending))
            pulls += len(results)
            for account_id, status, _cursor, error in results:
                if status != "pulled":
                    raise RuntimeError(f"account {account_id}: {status} {error}")
            pending = [a for a, _s, cursor, _e in results if cursor != before.get(a, "")]
            if rounds > 50:
                raise RuntimeError(f"cursors still moving after {rounds} rounds: {pending}")
        return time.monotonic() - start, rounds, pulls
    finally:
        pool.shutdown()


def _pull(account_id: int) -> tuple[int, str, str, str]:
    from engagement.services import account_pull

    result = account_pull(account_id=account_id)
    return account_id, result.status, result.cursor, result.error


def reset_cursors(bench: Run) -> None:
    from engagement.models import PullCursor

    PullCursor.objects.filter(account_id__in=bench.account_ids).update(
        cursor="", next_pull_at=None, lease_until=None, claim_token="", dispatched_at=None
    )


def stored_count(bench: Run) -> int:
    from engagement.models import Message

    return Message.objects.filter(agency_id=bench.agency_id).count()


def inbox_summary(bench: Run) -> tuple[int, int]:
    from accounts.models import Notification
    from engagement.models import Conversation

    return (
        Conversation.objects.filter(agency_id=bench.agency_id).count(),
        Notification.objects.filter(agency_id=bench.agency_id).count(),
    )


# --- The floor --------------------------------------------------------------------------------


def floor(bench: Run) -> tuple[float, float]:
    """Seconds to write this run's messages raw: with COPY (the floor), and with multi-row
    INSERTs (for comparison). Each into a fresh copy of engagement_message, one transaction."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'engagement_message' AND column_name <> 'id' "
            "ORDER BY ordinal_position"
        )
        columns = [r[0] for r in cur.fetchall()]
        cur.execute(
            f"SELECT {', '.join(columns)} FROM engagement_message WHERE agency_id = %s "  # noqa: S608
            "ORDER BY id",
            [bench.agency_id],
        )
        rows = cur.fetchall()
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'engagement_message'::regclass AND contype = 'f'"
        )
        foreign_keys = cur.fetchall()
    connection.close()

    took_copy = _floor_run(columns, rows, foreign_keys, _copy)
    took_insert = _floor_run(columns, rows, foreign_keys, _insert)
    return took_copy, took_insert


def _floor_run(columns: list[str], rows: list[tuple], foreign_keys: list, write: Any) -> float:
    import psycopg2

    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {FLOOR_SCHEMA} CASCADE")
            cur.execute(f"CREATE SCHEMA {FLOOR_SCHEMA}")
            cur.execute(
                f"CREATE TABLE {FLOOR_SCHEMA}.message "
                "(LIKE public.engagement_message INCLUDING ALL)"
            )
            for name, definition in foreign_keys:
                cur.execute(
                    f'ALTER TABLE {FLOOR_SCHEMA}.message ADD CONSTRAINT "{name}" {definition}'
                )
        conn.commit()
        start = time.monotonic()
        with conn.cursor() as cur:
            write(cur, f"{FLOOR_SCHEMA}.message", columns, rows)
        conn.commit()
        took = time.monotonic() - start
        with conn.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {FLOOR_SCHEMA}.message")  # noqa: S608
            (count,) = cur.fetchone()
            if count != len(rows):
                raise RuntimeError(f"the floor table holds {count} rows, not {len(rows)}")
            cur.execute(f"DROP SCHEMA {FLOOR_SCHEMA} CASCADE")
        conn.commit()
    finally:
        conn.close()
    return took


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(cur: Any, table: str, columns: list[str], rows: list[tuple]) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(_copy_value(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


def _insert(cur: Any, table: str, columns: list[str], rows: list[tuple]) -> None:
    from psycopg2.extras import Json, execute_values

    adapted = [tuple(Json(v) if isinstance(v, (dict, list)) else v for v in row) for row in rows]
    execute_values(
        cur,
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s",  # noqa: S608 - fixed names
        adapted,
        page_size=1000,
    )


if __name__ == "__main__":
    sys.exit(main())
