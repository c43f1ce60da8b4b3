"""REST API fixtures: a world of objects per agency (accounts, a campaign, posts in each state
of the workflow, a conversation with a citizen's message, a canned response), personal API
tokens, and a client that sends one.

The platform accounts are registered with the in-process platform sandbox, so the few calls
that reach a platform (hiding a message) go to it, never to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PlatformAccount, User
from accounts.services import api_token_create, platform_account_connect
from campaigns.models import Campaign, ColumnMatch, MonitorColumn, PublicPost, PublicUse
from campaigns.services import monitor_column_create
from engagement.models import CannedResponse, Conversation, Direction, Message
from engagement.threads import canned_response_save
from posts import publishing, workflow
from posts.models import Post
from posts.services import post_create
from tests.conftest import Cast

_serial = iter(range(1, 10**9))


def token_for(user: User, agency) -> str:
    """A new personal API token of `user` in `agency` (the token itself)."""
    _api_token, token = api_token_create(user=user, agency=agency, name="tests")
    return token


def client_for(user: User, agency) -> APIClient:
    """An API client authenticated with a new token of `user` in `agency`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, agency)}")
    return client


@dataclass
class World:
    """One agency's cast and objects, made through the services where there is one."""

    cast: Cast
    x: PlatformAccount
    fb: PlatformAccount
    campaign: Campaign
    canned: CannedResponse
    made: list[Any] = field(default_factory=list)

    @property
    def agency(self):
        return self.cast.agency

    def draft(self, *, author: User | None = None, body: str | None = None) -> Post:
        n = next(_serial)
        return post_create(
            agency=self.agency,
            author=author or self.cast.officer,
            body=body or f"Coffee with a cop at the library, number {n}.",
            accounts=[self.x],
            campaign=self.campaign,
        )

    def in_review(self) -> Post:
        post = self.draft()
        workflow.post_submit(post=post, by=self.cast.officer)
        return Post.objects.get(pk=post.pk)

    def approved(self) -> Post:
        post = self.in_review()
        workflow.post_approve(post=post, by=self.cast.supervisor)
        return Post.objects.get(pk=post.pk)

    def scheduled(self, *, at=None) -> Post:
        post = self.approved()
        at = at or timezone.now() + timedelta(hours=2)
        publishing.post_schedule(post=post, by=self.cast.supervisor, at=at)
        return Post.objects.get(pk=post.pk)

    def conversation(self) -> Conversation:
        n = next(_serial)
        at = timezone.now() - timedelta(minutes=5)
        conversation = Conversation.objects.create(
            agency=self.agency,
            account=self.x,
            platform="x",
            root_external_id=f"root-{self.agency.slug}-{n}",
            snippet=f"Is the road open again? ({n})",
            message_count=1,
            last_activity_at=at,
            first_inbound_at=at,
        )
        Message.objects.create(
            agency=self.agency,
            conversation=conversation,
            platform="x",
            external_id=f"msg-{self.agency.slug}-{n}",
            author_handle=f"citizen{n}",
            author_name=f"Citizen {n}",
            text=conversation.snippet,
            created_at=at,
            direction=Direction.INBOUND,
            kind="reply",
        )
        return conversation

    def message(self, conversation: Conversation) -> Message:
        return conversation.messages.filter(direction=Direction.INBOUND).first()

    def new_campaign(self) -> Campaign:
        n = next(_serial)
        today = timezone.localdate()
        return Campaign.objects.create(
            agency=self.agency,
            name=f"Campaign {n}",
            hashtags="#StaySafe",
            starts_on=today - timedelta(days=3),
            ends_on=today + timedelta(days=3),
        )

    def column(self) -> MonitorColumn:
        return monitor_column_create(
            agency=self.agency, by=self.cast.officer, query=f"#DriveSafe{next(_serial)}"
        )

    def public_post(self, column: MonitorColumn | None = None) -> PublicPost:
        """A public post using the campaign's hashtag, counted for it (and shown in `column`)."""
        n = next(_serial)
        at = timezone.now() - timedelta(minutes=10)
        found = PublicPost.objects.create(
            agency=self.agency,
            platform="x",
            external_id=f"public-{self.agency.slug}-{n}",
            author_handle=f"citizen{n}",
            text="Slow down near schools #DriveSafe",
            created_at=at,
            likes=2,
        )
        PublicUse.objects.create(
            agency=self.agency,
            campaign=self.campaign,
            public_post=found,
            hashtags=["#DriveSafe"],
            created_at=at,
        )
        if column is not None:
            ColumnMatch.objects.create(
                agency=self.agency, column=column, public_post=found, created_at=at
            )
        return found


def make_world(cast: Cast, sandbox) -> World:
    slug = cast.agency.slug
    digits = str(abs(hash(slug)) % 10**9)
    accounts = {}
    for platform, external_id in (("x", f"18{digits}"), ("facebook", f"19{digits}")):
        token = f"{platform}-token-{slug}"
        sandbox.account(platform, external_id, token, handle=f"{slug}police", name=slug.title())
        credentials = (
            {
                "consumer_key": "ck",
                "consumer_secret": "cs",
                "access_token": token,
                "access_token_secret": "ats",
            }
            if platform == "x"
            else {"page_access_token": token}
        )
        accounts[platform] = platform_account_connect(
            agency=cast.agency,
            by=None,
            platform=platform,
            handle=f"@{slug}police",
            external_id=external_id,
            credentials=credentials,
        )
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        agency=cast.agency,
        name=f"{slug.title()} road safety",
        hashtags="#DriveSafe",
        starts_on=today,
        ends_on=today + timedelta(days=30),
    )
    canned = canned_response_save(
        agency=cast.agency,
        by=cast.admin,
        title="Not monitored",
        text="Hi {handle}, this account is not monitored 24/7.",
    )
    return World(
        cast=cast, x=accounts["x"], fb=accounts["facebook"], campaign=campaign, canned=canned
    )


@pytest.fixture
def platforms(sandbox, settings):
    settings.PLATFORM_BASE_URLS = {"x": sandbox.url, "facebook": sandbox.url}
    return sandbox


@pytest.fixture
def world(cast, platforms) -> World:
    return make_world(cast, platforms)


@pytest.fixture
def other_world(other, platforms) -> World:
    return make_world(other, platforms)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Throttle counts live in the cache; ids are reused between tests on SQLite.
    cache.clear()
    yield
    cache.clear()
