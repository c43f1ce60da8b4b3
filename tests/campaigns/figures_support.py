"""Our campaign posts as published with metrics, without the platforms: PostTarget and
TargetMetrics rows as the publishing engine and the metrics collector leave them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import PlatformAccount
from campaigns.models import Campaign, PublicPost, PublicUse
from engagement.models import TargetMetrics
from posts.models import Post, PostStatus, PostTarget, TargetStatus
from posts.services import post_create


def published_post(
    cast,
    campaign: Campaign | None,
    account: PlatformAccount,
    *,
    impressions: int,
    engagements: int,
    at: datetime | None = None,
    body: str = "Lock your shed. #LockItUp",
) -> Post:
    at = at or timezone.now() - timedelta(hours=2)
    post = post_create(
        agency=cast.agency,
        author=cast.officer,
        body=body,
        campaign=campaign,
        status=PostStatus.PUBLISHED,
    )
    target = PostTarget.objects.create(
        agency=cast.agency,
        post=post,
        account=account,
        status=TargetStatus.PUBLISHED,
        due_at=at,
        next_attempt_at=at,
        published_at=at,
        external_id=f"ext-{post.pk}-{account.pk}",
    )
    TargetMetrics.objects.create(
        target=target,
        agency=cast.agency,
        account=account,
        post=post,
        platform=account.platform,
        style=post.style,
        published_at=at,
        impressions=impressions,
        likes=engagements,
        engagements=engagements,
        measured_at=timezone.now(),
    )
    return post


def public_use(
    campaign: Campaign, n: int, *, author: str = "citizen", at: datetime | None = None
) -> PublicUse:
    at = at or timezone.now() - timedelta(hours=1)
    post = PublicPost.objects.create(
        agency=campaign.agency,
        platform="x",
        external_id=f"{campaign.pk}{n:06d}",
        author_external_id=f"id-{author}",
        author_handle=author,
        author_name=author.title(),
        text=f"Post {n} {campaign.hashtag_list[0]}",
        created_at=at,
        likes=n,
    )
    return PublicUse.objects.create(
        agency=campaign.agency,
        campaign=campaign,
        public_post=post,
        hashtags=campaign.hashtag_list[:1],
        created_at=at,
    )
