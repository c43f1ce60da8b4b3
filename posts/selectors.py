"""Reads of posts, always scoped to the user's agency."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Agency
from posts.models import Post, PostStatus, PostTarget


def posts_for_agency(*, agency: Agency, status: str | None = None) -> QuerySet[Post]:
    posts = Post.objects.filter(agency=agency).select_related("author", "campaign")
    if status:
        posts = posts.filter(status=status)
    return posts.order_by("-updated_at", "-pk")


def post_get(*, agency: Agency, post_id: int) -> Post:
    """One post of this agency; 404 for another agency's."""
    return get_object_or_404(
        Post.objects.select_related("author", "campaign"), agency=agency, pk=post_id
    )


def approval_queue(*, agency: Agency) -> QuerySet[Post]:
    # Oldest first: the post that has waited longest is decided first.
    return (
        Post.objects.filter(agency=agency, status=PostStatus.IN_REVIEW)
        .select_related("author", "campaign")
        .order_by("created_at", "pk")
    )


def scheduled_between(*, agency: Agency, start: datetime, end: datetime) -> QuerySet[Post]:
    return (
        Post.objects.filter(agency=agency, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("author", "campaign")
        .order_by("scheduled_at", "pk")
    )


def targets_for_post(*, agency: Agency, post: Post) -> QuerySet[PostTarget]:
    return (
        PostTarget.objects.filter(agency=agency, post=post)
        .select_related("account")
        .order_by("account__platform", "account__handle")
    )
