"""Reads of posts, always scoped to the user's agency."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Agency
from posts.models import Post, PostKind, PostStatus, PostTarget, Review, ReviewDecision


def posts_for_agency(*, agency: Agency, status: str | None = None) -> QuerySet[Post]:
    # Replies written in the inbox are posts too, but they live in their threads.
    posts = (
        Post.objects.filter(agency=agency)
        .exclude(kind=PostKind.REPLY)
        .select_related("author", "campaign")
    )
    if status:
        posts = posts.filter(status=status)
    return posts.order_by("-updated_at", "-pk")


def post_get(*, agency: Agency, post_id: int) -> Post:
    """One post of this agency; 404 for another agency's."""
    return get_object_or_404(
        Post.objects.select_related("author", "campaign"), agency=agency, pk=post_id
    )


def targets_for_post(*, agency: Agency, post: Post) -> QuerySet[PostTarget]:
    return (
        PostTarget.objects.filter(agency=agency, post=post)
        .select_related("account")
        .order_by("account__platform", "account__handle")
    )


def latest_change_request(*, agency: Agency, post: Post) -> Review | None:
    """The supervisor's request the author is working on, while the post waits for changes."""
    if post.status != PostStatus.CHANGES_REQUESTED:
        return None
    return (
        Review.objects.filter(agency=agency, post=post, decision=ReviewDecision.CHANGES_REQUESTED)
        .select_related("reviewer")
        .first()
    )
