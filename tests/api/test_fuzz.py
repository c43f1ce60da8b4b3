"""Fuzzing: schemathesis generates requests for every operation of the live OpenAPI schema and
sends them to the Django WSGI application in this process, as an agency admin (a role that may
use every operation) of an agency with posts in every state, conversations and accounts.

Every response must be no server error, and must conform to the schema: a documented status
code, content type and headers, and a body that matches the documented shape (the error shape
included). Examples are bounded per operation so the run stays short; generation is
deterministic, so a failure here is reproducible.

Run alone: `.venv/bin/python -m pytest tests/api/test_fuzz.py -v`
(FUZZ_EXAMPLES=100 for a longer run).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.config import SchemathesisConfig

from accounts.models import PlatformAccount, User
from campaigns.models import Campaign, MonitorColumn
from engagement.models import CannedResponse, Conversation, Message
from engagement.threads import conversation_note_add
from posts.models import Post
from tests.api.conftest import World, token_for

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

# Hypothesis keeps caches in .hypothesis/ of the working directory; keep them under var/.
set_hypothesis_home_dir(Path(django_settings.VAR_DIR) / "hypothesis")


def _seed(world: World) -> None:
    """Posts in every state of the workflow, conversations with notes."""
    for _ in range(3):
        world.draft()
        world.in_review()
        world.approved()
        world.scheduled(at=timezone.now() + timedelta(days=1))
    for _ in range(3):
        conversation = world.conversation()
        conversation_note_add(conversation=conversation, text="Seen.", by=world.cast.officer)
        world.new_campaign()
        world.public_post(world.column())


def _ids(*querysets) -> list[int]:
    return sorted({pk for qs in querysets for pk in qs.values_list("pk", flat=True)})


def _dictionaries(world: World, other: World) -> dict:
    """Real ids of both agencies, which generated requests use most of the time (the rest are
    made up): so the actions run on real posts and threads, and the other agency's ids are
    tried too (they must answer 404, or 400 in a body)."""
    agencies = [world.agency, other.agency]
    values = {
        "posts": _ids(Post.objects.filter(agency__in=agencies)),
        "conversations": _ids(Conversation.objects.filter(agency__in=agencies)),
        "messages": _ids(Message.objects.filter(agency__in=agencies)),
        "accounts": _ids(PlatformAccount.objects.filter(agency__in=agencies)),
        "campaigns": _ids(Campaign.objects.filter(agency__in=agencies)),
        "people": _ids(User.objects.filter(memberships__agency__in=agencies)),
        "canned": _ids(CannedResponse.objects.filter(agency__in=agencies)),
        "columns": _ids(MonitorColumn.objects.filter(agency__in=agencies)),
    }
    return {name: {"values": ids} for name, ids in values.items()}


def _use(dictionary: str) -> dict:
    return {"dictionary": dictionary, "probability": 0.8}


@pytest.fixture
def fuzz_token(world, other_world, settings) -> str:
    # The in-process WSGI client sends Host: localhost; one token makes every request here.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "1000000/minute"},
    }
    _seed(world)
    _seed(other_world)  # rows of another agency, which must never show
    return token_for(world.cast.admin, world.agency)


@pytest.fixture
def wsgi_app_in_the_test_transaction():
    """Django's WSGI application, minus the per-request closing of old database connections:
    inside the test's transaction that would close it (PostgreSQL). Django's test client does
    the same."""
    from config.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(fuzz_token, world, other_world, wsgi_app_in_the_test_transaction):
    application = wsgi_app_in_the_test_transaction

    headers = {"Authorization": f"Bearer {fuzz_token}"}
    config = SchemathesisConfig.from_dict(
        {
            "headers": headers,
            "dictionaries": _dictionaries(world, other_world),
            "parameters": {
                "body.accounts[*]": _use("accounts"),
                "body.campaign": _use("campaigns"),
                "body.assignee": _use("people"),
                "body.in_reply_to": _use("messages"),
                "body.canned_response": _use("canned"),
                "body.target_accounts[*]": _use("accounts"),
                "body.owner": _use("people"),
                "query.account": _use("accounts"),
                "query.campaign": _use("campaigns"),
                "query.author": _use("people"),
                "query.post": _use("posts"),
            },
            "operations": [
                {
                    "include-path-regex": r"^/api/v1/posts/\{id\}/",
                    "parameters": {"path.id": _use("posts")},
                },
                {
                    "include-path-regex": r"^/api/v1/inbox/conversations/\{id\}/",
                    "parameters": {
                        "path.id": _use("conversations"),
                        "path.message_id": _use("messages"),
                    },
                },
                {
                    "include-path-regex": r"^/api/v1/platform-accounts/\{id\}/",
                    "parameters": {"path.id": _use("accounts")},
                },
                {
                    "include-path-regex": r"^/api/v1/campaigns/\{id\}/",
                    "parameters": {"path.id": _use("campaigns")},
                },
                {
                    "include-path-regex": r"^/api/v1/monitor/columns/\{id\}/",
                    "parameters": {"path.id": _use("columns")},
                },
                {
                    "include-path-regex": r"^/api/v1/dashboards/accounts/\{id\}/",
                    "parameters": {"path.id": _use("accounts")},
                },
                {
                    "include-path-regex": r"^/api/v1/dashboards/posts/\{id\}/",
                    "parameters": {"path.id": _use("posts")},
                },
            ],
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
        }
    )
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, config=config, headers=headers
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis_settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_the_api_keeps_to_its_schema(case, fuzz_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_token}"},
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.specs.openapi.checks.status_code_conformance,
            schemathesis.specs.openapi.checks.content_type_conformance,
            schemathesis.specs.openapi.checks.response_headers_conformance,
            schemathesis.specs.openapi.checks.response_schema_conformance,
        ],
    )
