"""The live stack the browser tests run against: real processes on free ports.

The platform sandbox, `manage.py runserver` (DEBUG, static files through whitenoise), one
Celery worker and Celery beat, on a database of their own. With DATABASE_URL / REDIS_URL set
(CI) that is a fresh PostgreSQL database `beat_e2e` on the same server and a Redis database of
its own (index BEAT_E2E_REDIS_DB, default 2) on the same Redis; otherwise a temporary SQLite file
and Celery's filesystem broker, as `make run` uses. The data is what `make seed` makes
(`seed_demo`, `sandbox_accounts`), plus a second agency with one officer, made through
accounts.services, for the tenancy journey.

Everything this module starts runs in its own process group and is stopped (SIGTERM, then
SIGKILL) by `Stack.stop`, which the session fixture calls even when a test or the start-up
fails. Logs go to the run's artefacts folder next to the screenshots.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from scripts.procs import Proc, free_port

BASE_DIR = Path(__file__).resolve().parents[2]
E2E_DATABASE = "beat_e2e"
DEFAULT_REDIS_DB = 2
# The seed of the sandbox's simulated public (`python -m platforms.sandbox --seed`; 42 by
# default). Who replies to a post, what they say and when is a pure function of the seed, the
# account and the post's place in the account's sequence. Under this seed, of everything the
# public says to the first post on each demo account (journey b's), exactly one message is
# urgent by the default triage rules: a comment on the Facebook page 28 s after publishing
# ("Woman screaming for help ..."); the first X replies come 43 s after. Journey 3
# (test_journeys_inbox.py) answers that comment.
SANDBOX_SEED = 3119

# The second agency: nothing of Harbour City's may reach its people.
OUTSIDER_EMAIL = "officer@ridgeway.test"
OUTSIDER_PASSWORD = "e2e-outsider-pass"  # noqa: S105 - a throwaway login of a throwaway database
OUTSIDER_SETUP = f"""
from django.db import transaction
from accounts import services
from accounts.models import Agency, Role, User
with transaction.atomic():
    if not Agency.objects.filter(slug="ridgeway-e2e").exists():
        agency = services.agency_create(
            name="Ridgeway Constabulary (e2e)", slug="ridgeway-e2e",
            timezone_name="Europe/London", language="en", by=None,
        )
        user = User.objects.create_user(
            email="{OUTSIDER_EMAIL}", password="{OUTSIDER_PASSWORD}", full_name="Rita Ridgeway"
        )
        services.membership_add(agency=agency, user=user, role=Role.OFFICER, by=None)
print("outsider agency ready")
"""

# Variables of the calling shell (and of pytest-env) that must not leak into the stack.
DROP_PREFIXES = ("DJANGO_", "BEAT_", "CELERY_", "DATABASE_URL", "REDIS_URL")
DROP_NAMES = ("X_API_BASE_URL", "FACEBOOK_GRAPH_BASE_URL", "AXES_ENABLED")


def wait_for(what: str, check: Callable[[], bool], timeout: float, proc: Proc | None = None):
    """Poll `check` until it is true; fail with the process's log tail if it died or timed out."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if check():
                return
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what}: {proc.name} exited early\n{proc.tail()}")
        if time.monotonic() > deadline:
            tail = f"\n{proc.tail()}" if proc is not None else ""
            raise RuntimeError(f"{what}: not ready after {timeout:.0f} s{tail}")
        time.sleep(0.25)


@dataclass
class Stack:
    """One run: its folders, environment, database and processes."""

    artifacts: Path
    say: Callable[[str], None] = print
    database_url: str = ""
    redis_url: str = ""
    url: str = ""
    sandbox_url: str = ""
    procs: list[Proc] = field(default_factory=list)
    _pg_admin_url: str = ""

    def __post_init__(self) -> None:
        self.logs = self.artifacts / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        # Database file, broker folders, media, beat's schedule, the sandbox's state.
        self.state = Path(tempfile.mkdtemp(prefix="beat-e2e-"))

    @property
    def backend(self) -> str:
        db = "PostgreSQL" if self._pg_admin_url else "SQLite"
        broker = "Redis" if self.redis_url else "filesystem broker"
        return f"{db} + {broker}"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Stack:
        started = time.monotonic()
        self._choose_services()
        sandbox_port, web_port = free_port(), free_port()
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        self.url = f"http://127.0.0.1:{web_port}"
        self.env = self._environment()
        self.say(f"e2e: {self.backend}; state in {self.state}")

        self.manage("migrate", "--no-input", "-v", "0", timeout=600)
        self.manage("seed_demo")
        self.manage("shell", "-c", OUTSIDER_SETUP)
        accounts_file = self.state / "sandbox-accounts.json"
        self.manage("sandbox_accounts", "--out", str(accounts_file))

        sandbox = self.spawn(
            "sandbox",
            [
                sys.executable,
                "-m",
                "platforms.sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(sandbox_port),
                "--state",
                str(self.state / "sandbox.sqlite3"),
                "--accounts",
                str(accounts_file),
                "--seed",
                str(SANDBOX_SEED),
            ],
        )
        wait_for(
            "sandbox",
            lambda: requests.get(f"{self.sandbox_url}/_sandbox/ping", timeout=2).ok,
            30,
            sandbox,
        )
        web = self.spawn(
            "web",
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"],
        )
        wait_for("web", lambda: requests.get(f"{self.url}/healthz", timeout=5).ok, 90, web)
        if self.redis_url:
            # Prefork: with Redis the thread pool stalls between batches (see README, Benchmarks).
            pool = ["--pool=prefork", "--concurrency=2"]
        else:
            pool = ["--pool=threads", "--concurrency=2"]  # as the Procfile runs it
        worker = self.spawn(
            "worker",
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", *pool],
        )
        wait_for("worker", lambda: " ready." in worker.log.read_text(errors="replace"), 90, worker)
        beat = self.spawn(
            "beat",
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
        )
        wait_for("beat", lambda: "beat: Starting" in beat.log.read_text(errors="replace"), 60, beat)
        self.say(
            f"e2e: stack up in {time.monotonic() - started:.0f} s: web {self.url}, "
            f"sandbox {self.sandbox_url}"
        )
        return self

    def stop(self) -> None:
        """Beat first (no new dispatches), then the worker, the web server and the sandbox."""
        order = ["beat", "worker", "web", "sandbox"]
        for proc in sorted(self.procs, key=lambda p: order.index(p.name)):
            proc.stop()
        self.procs.clear()
        if self._pg_admin_url and not os.environ.get("BEAT_E2E_KEEP"):
            with contextlib.suppress(Exception):
                self._pg_execute(f'DROP DATABASE IF EXISTS "{E2E_DATABASE}" WITH (FORCE)')
        shutil.rmtree(self.state, ignore_errors=True)

    def check_alive(self) -> None:
        """Fail a test early and clearly when a process of the stack died under it."""
        dead = [p for p in self.procs if not p.alive()]
        if dead:
            raise RuntimeError(
                "stack process(es) died: " + ", ".join(f"{p.name}\n{p.tail()}" for p in dead)
            )

    # -- helpers --------------------------------------------------------------------------------

    def spawn(self, name: str, cmd: list[str]) -> Proc:
        proc = Proc(name, cmd, self.logs / f"{name}.log", self.env).start()
        self.procs.append(proc)
        return proc

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(  # noqa: S603 - manage.py with fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        with open(self.logs / "manage.log", "a", encoding="utf-8") as log:
            log.write(f"$ manage.py {args[0]}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise RuntimeError(
                f"manage.py {args[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def sandbox(self, path: str) -> dict:
        resp = requests.get(f"{self.sandbox_url}{path}", timeout=10)
        resp.raise_for_status()
        return resp.json()

    def _environment(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(DROP_PREFIXES) and k not in DROP_NAMES
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                # As `make run`: runserver with DEBUG, whitenoise serving static files.
                "DJANGO_DEBUG": "1",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                # A fresh database each run, so a fresh key.
                "BEAT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "BEAT_VAR_DIR": str(self.state),
                "DATABASE_URL": self.database_url,
                "BEAT_SANDBOX_URL": self.sandbox_url,
                "X_API_BASE_URL": self.sandbox_url,
                "FACEBOOK_GRAPH_BASE_URL": self.sandbox_url,
                "BEAT_DISPATCH_EVERY_SECONDS": "2",
                # Beat asks which accounts are due a pull (each at most once a minute) every
                # 5 s rather than 30: the public's replies reach the inbox sooner.
                "BEAT_INBOX_DISPATCH_EVERY_SECONDS": "5",
                # A young post's metrics are read every minute instead of every 15 minutes
                # (beat's refresh runs every minute): the dashboards journey sees a curve.
                "BEAT_METRICS_YOUNG_EVERY_SECONDS": "60",
                "PYTHONUNBUFFERED": "1",
                "NO_PROXY": "127.0.0.1,localhost",
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
            }
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def _choose_services(self) -> None:
        database_url = os.environ.get("DATABASE_URL", "").strip()
        if database_url and urlsplit(database_url).scheme.startswith(("postgres", "pgsql")):
            parts = urlsplit(database_url)
            self._pg_admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.database_url = urlunsplit(parts._replace(path=f"/{E2E_DATABASE}"))
            self._pg_execute(f'DROP DATABASE IF EXISTS "{E2E_DATABASE}" WITH (FORCE)')
            self._pg_execute(f'CREATE DATABASE "{E2E_DATABASE}"')
        elif database_url:
            raise RuntimeError(f"e2e runs on PostgreSQL or SQLite, not {database_url!r}")
        else:
            self.database_url = f"sqlite:///{self.state / 'beat.sqlite3'}"
        redis_url = os.environ.get("REDIS_URL", "").strip()
        if redis_url:
            import redis

            parts = urlsplit(redis_url)
            index = os.environ.get("BEAT_E2E_REDIS_DB", str(DEFAULT_REDIS_DB))
            self.redis_url = urlunsplit(parts._replace(path=f"/{index}"))
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=3)
            client.ping()
            # Leftovers of an interrupted earlier run would name rows of another database.
            client.flushdb()

    def _pg_execute(self, statement: str) -> None:
        import psycopg2

        conn = psycopg2.connect(self._pg_admin_url, connect_timeout=10)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()
