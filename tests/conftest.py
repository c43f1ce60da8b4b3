"""Shared fixtures: a fixed cast per agency, and guards for the real-service tests.

Each agency has an officer, a supervisor, an analyst and an admin; `outsider` is the admin of
another agency. Tests marked `postgres` or `redis` skip on a laptop without the service but
fail when CI=true, so CI can never silently skip them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.conf import settings

from accounts.models import Agency, Membership, Role, User
from tests.factories import AgencyFactory, MembershipFactory
from tests.sandbox_support import sandbox, sandbox_server  # noqa: F401  (shared fixtures)


@dataclass
class Cast:
    agency: Agency
    officer: User
    supervisor: User
    analyst: User
    admin: User

    def by_role(self, role: str) -> User:
        return {
            Role.OFFICER: self.officer,
            Role.SUPERVISOR: self.supervisor,
            Role.ANALYST: self.analyst,
            Role.ADMIN: self.admin,
        }[role]


def make_cast(slug: str) -> Cast:
    agency = AgencyFactory(slug=slug, name=f"{slug.title()} Police")
    people = {
        role: MembershipFactory(agency=agency, role=role, user__email=f"{role}@{slug}.test").user
        for role in Role.values
    }
    return Cast(
        agency=agency,
        officer=people["officer"],
        supervisor=people["supervisor"],
        analyst=people["analyst"],
        admin=people["admin"],
    )


@pytest.fixture
def cast(db) -> Cast:
    return make_cast("alpha")


@pytest.fixture
def other(db) -> Cast:
    return make_cast("bravo")


@pytest.fixture
def outsider(other) -> User:
    return other.admin


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(what: str, available: bool, why: str) -> None:
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI but is not available: {why}")
    pytest.skip(f"{what} not available here ({why}); set DATABASE_URL/REDIS_URL to run it")


@pytest.fixture
def require_postgres(db):
    vendor = settings.DATABASES["default"]["ENGINE"]
    require_service("PostgreSQL", vendor.endswith("postgresql"), f"DATABASE_URL engine is {vendor}")


@pytest.fixture
def require_redis():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        require_service("Redis", False, "REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", False, str(exc))
    return url


@pytest.fixture(autouse=True)
def _apply_service_markers(request):
    if request.node.get_closest_marker("postgres"):
        request.getfixturevalue("require_postgres")
    if request.node.get_closest_marker("redis"):
        request.getfixturevalue("require_redis")


@pytest.fixture
def login(client):
    """Sign a person in, in a given agency (default: their first)."""

    def _login(user: User, agency: Agency | None = None):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if agency is not None:
            session = client.session
            session["beat_agency_id"] = agency.pk
            session.save()
        return client

    return _login


def member_of(user: User, agency: Agency, role: str) -> Membership:
    return MembershipFactory(user=user, agency=agency, role=role)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for production; tests create many people.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_manage(*args: str, env: dict[str, str], drop: tuple[str, ...] = ()):
    """Run manage.py in a fresh process (start-up behaviour), with `env` over this one's.

    Variables starting with any prefix in `drop` are removed first, so a test can start from a
    clean slate (e.g. drop=("DJANGO_", "BEAT_")).
    """
    import subprocess
    import sys
    from pathlib import Path

    full_env = {k: v for k, v in os.environ.items() if not (drop and k.startswith(drop))}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(__file__).resolve().parents[1],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(autouse=True, scope="session")
def _celery_in_memory():
    """Tasks enqueued by tests (after-commit dispatches) go to an in-memory broker.

    Otherwise a transactional test would leave real messages in CI's Redis for a later test's
    worker to pick up. The Redis test builds its own app pointed at Redis.
    """
    from config.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = "memory://"
    yield
    app.conf.broker_url = previous
