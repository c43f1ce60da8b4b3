"""Inbox fixtures: the cast's X account and Facebook page, registered with the sandbox, and
helpers to publish through the real publishing path and to pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Agency, PlatformAccount
from accounts.services import platform_account_connect
from engagement import services
from engagement.models import PullCursor
from posts import publishing
from posts.models import PostStatus, PostTarget
from posts.services import post_create

X_ID, X_TOKEN = "1600000000000000001", "x-token-alpha"
FB_ID, FB_TOKEN = "1600000001", "fb-token-alpha"
BRAVO_X_ID, BRAVO_X_TOKEN = "1700000000000000001", "x-token-bravo"


def connect(
    sandbox, agency: Agency, platform: str, external_id: str, token: str, handle: str, **extra
) -> PlatformAccount:
    """Register an account with the sandbox and connect it to an agency."""
    sandbox.account(platform, external_id, token, handle=handle, name=handle.title(), **extra)
    if platform == "x":
        credentials: dict[str, Any] = {
            "consumer_key": "ck",
            "consumer_secret": "cs",
            "access_token": token,
            "access_token_secret": "ats",
        }
    else:
        credentials = {"page_access_token": token}
    return platform_account_connect(
        agency=agency,
        by=None,
        platform=platform,
        handle=handle,
        external_id=external_id,
        credentials=credentials,
    )


@dataclass
class Accounts:
    x: PlatformAccount
    fb: PlatformAccount


@pytest.fixture
def accounts(cast, sandbox, settings) -> Accounts:
    settings.PLATFORM_BASE_URLS = {"x": sandbox.url, "facebook": sandbox.url}
    return Accounts(
        x=connect(sandbox, cast.agency, "x", X_ID, X_TOKEN, "alphapolice"),
        fb=connect(sandbox, cast.agency, "facebook", FB_ID, FB_TOKEN, "alphapolice"),
    )


@pytest.fixture
def bravo_x(other, sandbox, settings) -> PlatformAccount:
    settings.PLATFORM_BASE_URLS = {"x": sandbox.url, "facebook": sandbox.url}
    return connect(sandbox, other.agency, "x", BRAVO_X_ID, BRAVO_X_TOKEN, "bravopolice")


def publish(
    cast, *accounts: PlatformAccount, body: str = "Appeal for witnesses on Church Road."
) -> list[PostTarget]:
    """An approved post published now through the real dispatcher and publish task."""
    post = post_create(
        agency=cast.agency, author=cast.officer, body=body, status=PostStatus.APPROVED
    )
    post.accounts.set(accounts)
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    outcomes = [publishing.target_publish(target_id=pk) for pk in publishing.dispatch_due()]
    assert outcomes == ["published"] * len(accounts)
    return list(post.targets.select_related("post").order_by("pk"))


def pull(account: PlatformAccount) -> services.PullResult:
    """Pull now, whatever the interval since the last pull."""
    PullCursor.objects.filter(account=account).update(next_pull_at=None)
    return services.account_pull(account_id=account.pk)


def visible_public(sandbox_server, platform: str, account_external_id: str) -> list[dict]:
    """The sandbox's own record of what the public has written to an account so far."""
    store = sandbox_server.store
    rows = store.query(
        "SELECT * FROM items WHERE platform = ? AND account = ? AND by_us = 0 "
        "AND deleted = 0 AND created_at <= ? ORDER BY created_at, num",
        (platform, account_external_id, store.now()),
    )
    return [dict(r) for r in rows]
