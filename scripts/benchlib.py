"""Shared harness for `make bench-publish` and `make chaos-publish`.

Real processes end to end: PostgreSQL, Redis, the platform sandbox as a subprocess, `celery
worker` processes and one `celery beat` that wakes the dispatcher every second. The data is made
through the services (agency, people, connected accounts, approved posts, `post_schedule`), and
every figure is read back from the sandbox's own record of what it received, never from Beat's
database: lateness is the sandbox's `received_at` minus the due time, duplicates are the
sandbox's count of the same text twice on one account, lost is a target whose text it never got.

Not part of `make test`: a run takes minutes and needs PostgreSQL and Redis.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from procs import Proc, free_port

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/beat_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
]
ACCOUNTS = 100
BENCH_SLUG_PREFIX = "bench-"
BENCH_LOCK_KEY = 0x6265617442  # pg advisory lock: one benchmark per database at a time
# A sentence of the kind the desk posts; each post gets its own number so texts are distinct.
BODY = (
    "Bench run {run} post {i}: officers attended a minor collision on the ring road; nobody was "
    "hurt and the road is open again. Thank you for your patience."
)


def say(message: str) -> None:
    print(message, flush=True)


# --- Services and environment ------------------------------------------------------------


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, capture_output=True, text=True, **kwargs)  # noqa: S603


def _local(host: str | None) -> bool:
    return host in (None, "", "127.0.0.1", "localhost", "::1")


def postgres_up(url: str) -> bool:
    parts = urlsplit(url)
    return (
        _run(
            ["pg_isready", "-q", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
        ).returncode
        == 0
    )


def redis_up(url: str = "redis://127.0.0.1:6379/0") -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def redis_start() -> None:
    """Start Redis as CI does (no persistence), and wait until it answers."""
    _run(REDIS_START)
    for _ in range(50):
        if redis_up():
            return
        time.sleep(0.1)
    raise RuntimeError("Redis did not start: " + " ".join(REDIS_START))


def redis_stop() -> None:
    """Stop Redis without saving: every queued and unacknowledged message is lost."""
    _run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"])
    for _ in range(50):
        if not redis_up():
            return
        time.sleep(0.1)
    raise RuntimeError("Redis did not stop")


def ensure_services(database_url: str, redis_url: str) -> None:
    """Start PostgreSQL and Redis if they are down and local, the way `.ci/run` does."""
    db_host = urlsplit(database_url).hostname
    if not postgres_up(database_url):
        if not _local(db_host):
            raise RuntimeError(f"PostgreSQL at {db_host} is not answering")
        say("setup: starting PostgreSQL")
        cluster = sorted(os.listdir("/etc/postgresql"))[0]
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"])
        for _ in range(30):
            if postgres_up(database_url):
                break
            time.sleep(1)
        else:
            raise RuntimeError("PostgreSQL did not start")
    if not redis_up(redis_url):
        if not _local(urlsplit(redis_url).hostname):
            raise RuntimeError(f"Redis at {redis_url} is not answering")
        say("setup: starting Redis")
        redis_start()


def ensure_database(database_url: str) -> None:
    """Create the benchmark database if it does not exist (migrations run later, in-process)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                say(f"setup: creating database {name}")
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def bench_secrets() -> dict[str, str]:
    """Secrets for the bench database, generated once into var/bench.env and reused.

    Reused because the connected accounts of earlier runs stay in the database, and start-up
    refuses a key that cannot decrypt them (accounts.E002).
    """
    import secrets

    from cryptography.fernet import Fernet

    path = BASE_DIR / "var" / "bench.env"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Benchmark only: generated by scripts/benchlib.py. Keys of the beat_bench database.\n"
            f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"BEAT_ENCRYPTION_KEYS={Fernet.generate_key().decode()}\n",
            encoding="utf-8",
        )
        path.chmod(0o600)
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def _raise_exit(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


@dataclass
class Target:
    pk: int
    platform: str
    external_id: str
    text: str


@dataclass
class Harness:
    """One run: temporary folder, environment, the sandbox, workers, beat and the data."""

    kind: str
    workers: int
    pool: str
    concurrency: int
    extra_env: dict[str, str] = field(default_factory=dict)
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    procs: list[Proc] = field(default_factory=list)
    worker_procs: dict[int, Proc] = field(default_factory=dict)
    incarnations: dict[int, int] = field(default_factory=dict)
    beat: Proc | None = None
    sandbox_url: str = ""
    targets: list[Target] = field(default_factory=list)
    agency_id: int | None = None
    keep_logs: bool = False
    _lock_conn: Any = None

    def __post_init__(self) -> None:
        stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S")
        self.run_id = f"{self.kind}-{stamp}"
        self.dir = BASE_DIR / "var" / "bench" / self.run_id
        self.dir.mkdir(parents=True, exist_ok=True)

    # -- lifecycle ----------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self) -> Iterator[Harness]:
        """Set up the environment; on leaving (also on Ctrl-C, SIGTERM or an error) stop
        every process this run started. Logs stay in var/bench/<run>/ when something failed."""
        old = {s: signal.signal(s, _raise_exit) for s in (signal.SIGTERM, signal.SIGHUP)}
        ok = False
        try:
            self._environment()
            yield self
            ok = True
        finally:
            # A second Ctrl-C must not cut the clean-up short (each stop is bounded).
            for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                old.setdefault(s, signal.getsignal(s))
                signal.signal(s, signal.SIG_IGN)
            self.stop_all()
            if self._lock_conn is not None:
                self._lock_conn.close()  # releases the advisory lock
            for s, handler in old.items():
                signal.signal(s, handler)
            if ok and not self.keep_logs and not os.environ.get("BENCH_KEEP_LOGS"):
                shutil.rmtree(self.dir, ignore_errors=True)
            else:
                say(f"{self.kind}: logs kept in {self.dir.relative_to(BASE_DIR)}")

    def stop_celery(self) -> None:
        """Beat first (no new dispatches), then the workers (warm shutdown)."""
        order = [p for p in self.procs if p.name == "beat"]
        order += [p for p in self.procs if p.name.startswith("worker")]
        for proc in order:
            proc.stop()
            self.procs.remove(proc)

    def stop_all(self) -> None:
        self.stop_celery()
        for proc in list(self.procs):
            proc.stop()
        self.procs.clear()

    def _environment(self) -> None:
        ensure_services(self.database_url, self.redis_url)
        ensure_database(self.database_url)
        self._exclusive()
        port = free_port()
        self.sandbox_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            **bench_secrets(),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "BEAT_SANDBOX_URL": self.sandbox_url,
            "X_API_BASE_URL": self.sandbox_url,
            "FACEBOOK_GRAPH_BASE_URL": self.sandbox_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_STATIC_MANIFEST": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The beat schedule file and anything else under var/ stay in this run's folder.
            "BEAT_VAR_DIR": str(self.dir),
            "BEAT_DISPATCH_EVERY_SECONDS": "1",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        self.env = env
        os.environ.update(env)
        sys.path.insert(0, str(BASE_DIR))
        import django

        django.setup()

    def _exclusive(self) -> None:
        """One benchmark per database at a time: another run's dispatcher would take this
        run's due targets (and this run's set-up would cancel the other's)."""
        import psycopg2

        self._lock_conn = psycopg2.connect(self.database_url)
        self._lock_conn.autocommit = True
        with self._lock_conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (BENCH_LOCK_KEY,))
            (got,) = cur.fetchone()
        if not got:
            raise RuntimeError(f"another benchmark is running against {self.database_url}")

    def spawn(self, name: str, cmd: list[str]) -> Proc:
        proc = Proc(name, cmd, self.dir / f"{name.split('.')[0]}.log", self.env).start()
        self.procs.append(proc)
        return proc

    def setup(self, n: int) -> tuple[datetime, float]:
        """Sandbox, floor, data, workers and beat, then n posts scheduled for one moment a
        few seconds ahead. Returns the due time and the sandbox's floor in ms."""
        start = time.monotonic()
        self.start_sandbox()
        floor = self.floor_ms()
        self.prepare_database()
        made = time.monotonic()
        self.create_data(n)
        per_post = (time.monotonic() - made) / max(1, n)
        self.start_celery()
        # Scheduling costs about what creating did; leave that and a few seconds of margin.
        due = utc_in(5 + 1.5 * per_post * n)
        took = self.schedule(due)
        autovacuum = self.vacuum()
        ahead = (due - utc_in(0)).total_seconds()
        say(
            f"setup: {n} posts on {ACCOUNTS} accounts (X and Facebook), {self.workers} "
            f"worker(s) ({self.pool} x{self.concurrency}) and beat every 1 s, ready in "
            f"{time.monotonic() - start:.1f} s; scheduled in {took:.1f} s, due in {ahead:.1f} s; "
            f"floor_ms={floor:.2f}; vacuumed (autovacuum is {autovacuum} here)"
        )
        return due, floor

    # -- the sandbox ------------------------------------------------------------------------

    def start_sandbox(self) -> None:
        port = self.sandbox_url.rsplit(":", 1)[1]
        state = self.dir / "sandbox.sqlite3"
        self.spawn(
            "sandbox",
            [sys.executable, "-m", "platforms.sandbox", "--port", port, "--state", str(state)],
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(self.sandbox_url + "/_sandbox/ping", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)
        self.sandbox("POST", "/_sandbox/reset")

    def sandbox(self, method: str, path: str, body: Any = None) -> Any:
        resp = requests.request(method, self.sandbox_url + path, json=body, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def floor_ms(self, calls: int = 200) -> float:
        """The sandbox's bare round trip: median of `calls` pings over one keep-alive session."""
        times = []
        with requests.Session() as session:
            session.get(self.sandbox_url + "/_sandbox/ping", timeout=5)
            for _ in range(calls):
                start = time.perf_counter()
                session.get(self.sandbox_url + "/_sandbox/ping", timeout=5).raise_for_status()
                times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    # -- data, through the services ---------------------------------------------------------

    def prepare_database(self) -> None:
        from django.core.management import call_command
        from django.db.models import Q

        from posts.models import TARGET_DONE, PostTarget, TargetStatus

        call_command("migrate", "--no-input", verbosity=0)
        # An interrupted earlier run may have left targets in flight; they would be published
        # into this run's sandbox. Earlier bench agencies' leftovers are cancelled; anyone
        # else's work in this database is a reason to stop.
        unfinished = PostTarget.objects.exclude(status__in=TARGET_DONE)
        foreign = unfinished.exclude(agency__slug__startswith=BENCH_SLUG_PREFIX).count()
        if foreign:
            raise RuntimeError(
                f"{self.database_url} has {foreign} unfinished target(s) that are not from a "
                "benchmark: point DATABASE_URL at a database of its own"
            )
        left = unfinished.filter(Q(agency__slug__startswith=BENCH_SLUG_PREFIX)).update(
            status=TargetStatus.CANCELLED, claim_token="", lease_until=None
        )
        if left:
            say(f"setup: cancelled {left} unfinished target(s) left by an interrupted run")
        # Their messages may still be queued; this run's workers would spend time skipping them.
        from config.celery import app

        purged = app.control.purge()
        if purged:
            say(f"setup: purged {purged} message(s) left in {self.redis_url} by an earlier run")

    def vacuum(self) -> str:
        """Vacuum what the set-up churned, as autovacuum would; returns the autovacuum setting.

        Every audit event updates the single chain-head row. Creating and scheduling the posts
        appends thousands of events, and versions written inside one transaction cannot be
        pruned until it ends, so the head's table is left with thousands of dead versions that
        every audit append in the publish phase would walk past (about 0.4 ms of PostgreSQL
        time per lookup instead of 0.04). Run after the set-up, before the due time, while no
        worker is writing.
        """
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SHOW autovacuum")
            (autovacuum,) = cur.fetchone()
            # VACUUM cannot run inside a transaction; Django's cursor is in autocommit here.
            cur.execute("VACUUM FULL accounts_auditchainhead")
            cur.execute(
                "VACUUM (ANALYZE) posts_posttarget, posts_post, accounts_auditevent, "
                "accounts_platformaccount"
            )
        connection.close()
        return str(autovacuum)

    def create_data(self, n: int) -> None:
        """Agency, people, 100 sandbox accounts (half X, half Facebook) and n approved posts."""
        from django.db import transaction

        from accounts.models import Role, User
        from accounts.services import agency_create, membership_add, platform_account_connect
        from posts.models import PostStatus
        from posts.services import post_create

        slug = f"{BENCH_SLUG_PREFIX}{self.run_id}".lower()[:60]
        with transaction.atomic():
            agency = agency_create(
                name=f"Bench {self.run_id}",
                slug=slug,
                timezone_name="UTC",
                language="en",
                by=None,
            )
            people = {}
            for role in (Role.OFFICER, Role.SUPERVISOR, Role.ADMIN):
                user = User.objects.create_user(
                    email=f"{role}.{slug}@bench.invalid", full_name=f"Bench {role}"
                )
                membership_add(agency=agency, user=user, role=role, by=None)
                people[role] = user
        self.agency_id = agency.pk
        self.officer, self.supervisor = people[Role.OFFICER], people[Role.SUPERVISOR]
        accounts = []
        for i in range(ACCOUNTS):
            platform = "x" if i % 2 == 0 else "facebook"
            external_id = f"{1900000000000000000 + i}" if platform == "x" else f"{190000000000 + i}"
            token = f"bench-{platform}-{i}-{self.run_id}"
            self.sandbox(
                "POST",
                "/_sandbox/accounts",
                {
                    "platform": platform,
                    "external_id": external_id,
                    "handle": f"benchpolice{i}",
                    "name": f"Bench Police {i}",
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
            accounts.append(
                platform_account_connect(
                    agency=agency,
                    by=None,
                    platform=platform,
                    handle=f"@benchpolice{i}" if platform == "x" else f"Bench Police {i}",
                    external_id=external_id,
                    credentials=credentials,
                    display_name=f"Bench Police {i}",
                )
            )
        self.posts = []
        with transaction.atomic():
            for i in range(n):
                post = post_create(
                    agency=agency,
                    author=self.officer,
                    body=BODY.format(run=self.run_id, i=i),
                    status=PostStatus.APPROVED,
                )
                self.posts.append((post, accounts[i % ACCOUNTS]))

    def schedule(self, at: datetime, chunk: int = 250) -> float:
        """Schedule every post for `at` (one target each); returns the seconds it took."""
        from django.db import transaction

        from posts.publishing import post_schedule

        start = time.monotonic()
        for first in range(0, len(self.posts), chunk):
            with transaction.atomic():
                for post, account in self.posts[first : first + chunk]:
                    (target,) = post_schedule(
                        post=post, by=self.supervisor, at=at, accounts=[account]
                    )
                    self.targets.append(
                        Target(target.pk, account.platform, account.external_id, post.body)
                    )
        return time.monotonic() - start

    # -- Celery ---------------------------------------------------------------------------

    def worker_cmd(self, index: int) -> list[str]:
        incarnation = self.incarnations.get(index, 0)
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-n",
            f"bench{index}.{incarnation}@%h",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            "--loglevel=WARNING",
            # Worker-to-worker chatter only slows start-up; remote control (ping) stays on.
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]

    def start_worker(self, index: int) -> Proc:
        proc = self.spawn(
            f"worker{index}.{self.incarnations.get(index, 0)}", self.worker_cmd(index)
        )
        self.worker_procs[index] = proc
        return proc

    def restart_worker(self, index: int) -> Proc:
        old = self.worker_procs[index]
        if old in self.procs:
            self.procs.remove(old)
        self.incarnations[index] = self.incarnations.get(index, 0) + 1
        return self.start_worker(index)

    def start_celery(self) -> None:
        for index in range(self.workers):
            self.start_worker(index)
        self.wait_workers_ready()
        self.start_beat()

    def start_beat(self) -> None:
        if self.beat is not None and self.beat in self.procs:
            self.procs.remove(self.beat)
        self.beat = self.spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=WARNING",
                "-s",
                str(self.dir / "celerybeat-schedule"),
            ],
        )

    def wait_workers_ready(self, timeout: float = 60) -> None:
        from config.celery import app

        names = {
            f"bench{i}.{self.incarnations.get(i, 0)}@{socket.gethostname()}"
            for i in self.worker_procs
        }
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            for proc in self.worker_procs.values():
                if not proc.alive():
                    raise RuntimeError(f"{proc.name} exited; see {proc.log}")
            with contextlib.suppress(Exception):  # the broker may still be coming up
                for reply in app.control.ping(timeout=1.0):
                    seen.update(reply)
            if names <= seen:
                return
        raise RuntimeError(f"workers not ready after {timeout:.0f} s: {sorted(names - seen)}")

    # -- progress and the sandbox's record ----------------------------------------------------

    def counts(self) -> dict[str, int]:
        from django.db.models import Count

        from posts.models import PostTarget

        rows = (
            PostTarget.objects.filter(agency_id=self.agency_id)
            .values("status")
            .annotate(n=Count("pk"))
        )
        return {row["status"]: row["n"] for row in rows}

    def unresolved(self) -> list[dict[str, Any]]:
        from posts.models import TARGET_DONE, PostTarget

        return list(
            PostTarget.objects.filter(agency_id=self.agency_id)
            .exclude(status__in=TARGET_DONE)
            .values("pk", "status", "attempts", "needs_reconcile", "last_error")
        )

    def failed(self) -> list[dict[str, Any]]:
        from posts.models import PostTarget, TargetStatus

        return list(
            PostTarget.objects.filter(agency_id=self.agency_id, status=TargetStatus.FAILED).values(
                "pk", "last_error"
            )
        )

    def recoveries(self) -> dict[str, int]:
        """How often the recovery paths ran, from the audit trail of this run's agency."""
        from accounts.models import AuditEvent

        events = AuditEvent.objects.filter(agency_id=self.agency_id)
        return {
            "found_by_reconcile": events.filter(
                action="posts.target.published", data__reconciled=True
            ).count(),
            "requeued_by_reconcile": events.filter(
                action="posts.target.requeued_after_reconcile"
            ).count(),
            "retried": events.filter(action="posts.target.retry_scheduled").count(),
        }

    def sandbox_record(self) -> dict[tuple[str, str, str], list[float]]:
        """(platform, account, text) -> the times the sandbox received that text, by its clock."""
        record: dict[tuple[str, str, str], list[float]] = {}
        accounts = {(t.platform, t.external_id) for t in self.targets}
        for platform, external_id in sorted(accounts):
            posts = self.sandbox("GET", f"/_sandbox/accounts/{platform}/{external_id}/posts")
            for post in posts["posts"]:
                key = (platform, external_id, post["text"])
                record.setdefault(key, []).append(float(post["received_at"]))
        return record


@dataclass
class Outcome:
    lateness: list[float]
    lost: list[Target]
    duplicates: int
    publishes: int
    last_received: float | None


def outcome(h: Harness, due: datetime) -> Outcome:
    record = h.sandbox_record()
    stats = h.sandbox("GET", "/_sandbox/stats")
    due_ts = due.timestamp()
    lateness, lost = [], []
    last = None
    for target in h.targets:
        times = record.get((target.platform, target.external_id, target.text))
        if not times:
            lost.append(target)
            continue
        first = min(times)
        lateness.append(first - due_ts)
        last = max(last or first, max(times))
    return Outcome(
        lateness=sorted(lateness),
        lost=lost,
        duplicates=int(stats["duplicates"]),
        publishes=int(stats["publishes"]),
        last_received=last,
    )


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


def utc_in(seconds: float) -> datetime:
    return datetime.now(tz=UTC) + timedelta(seconds=seconds)
