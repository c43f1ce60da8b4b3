"""Campaign fixtures: the cast's X account and Facebook page registered with the sandbox (as the
inbox tests do), campaigns made through the service, and a search that is always due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import monitoring, services
from campaigns.models import Campaign, SearchCursor
from tests.engagement.conftest import (  # noqa: F401  (fixtures and helpers shared with the inbox)
    BRAVO_X_ID,
    BRAVO_X_TOKEN,
    FB_ID,
    X_ID,
    X_TOKEN,
    Accounts,
    accounts,
    bravo_x,
    connect,
    publish,
    pull,
)


def make_campaign(cast, *, hashtags="#LockItUp", by=None, **extra) -> Campaign:
    today = timezone.localdate()
    values = {
        "name": "Lock it up",
        "starts_on": today - timedelta(days=1),
        "ends_on": today + timedelta(days=7),
        "goal_kind": "public_uses",
        "goal_target": 50,
    }
    values.update(extra)
    return services.campaign_create(
        agency=cast.agency, by=by or cast.supervisor, hashtags=hashtags, **values
    )


def cursor_for(account, query: str, kind: str = "hashtag") -> SearchCursor:
    from campaigns.hashtags import query_key

    cursor, _created = SearchCursor.objects.get_or_create(
        account=account,
        kind=kind,
        query=query_key(kind, query),
        defaults={"agency_id": account.agency_id},
    )
    return cursor


def search(account, query: str, kind: str = "hashtag") -> monitoring.SearchResult:
    """Search now, whatever the interval since the last search."""
    cursor = cursor_for(account, query, kind)
    SearchCursor.objects.filter(pk=cursor.pk).update(next_attempt_at=None)
    return monitoring.cursor_search(cursor_id=cursor.pk)


@pytest.fixture
def campaign(cast, accounts) -> Campaign:  # noqa: F811  (the imported fixture)
    return make_campaign(cast, target_accounts=[accounts.x, accounts.fb])
