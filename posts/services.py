"""State changes of posts. The editor, policy checks and approval arrive with the posts issue."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Agency, User
from campaigns.models import Campaign
from posts.models import Post, PostStatus, PostStyle


@transaction.atomic
def post_create(
    *,
    agency: Agency,
    author: User,
    body: str,
    style: str = PostStyle.NARRATIVE,
    campaign: Campaign | None = None,
    scheduled_at: datetime | None = None,
    status: str = PostStatus.DRAFT,
) -> Post:
    """Create a post in the author's agency."""
    if campaign is not None and campaign.agency_id != agency.pk:
        raise ValueError("The campaign belongs to another agency.")
    post = Post(
        agency=agency,
        author=author,
        body=body,
        style=style,
        campaign=campaign,
        scheduled_at=scheduled_at,
        status=status,
    )
    post.full_clean()
    post.save()
    audit_record(
        action="posts.post.created",
        actor=author,
        agency=agency,
        target=post,
        data={"style": style, "status": status},
    )
    return post
