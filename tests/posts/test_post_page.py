"""The post page links each role to what it may do next, and shows the author what to change."""

from __future__ import annotations

from django.urls import reverse

from posts import workflow
from posts.models import PostStatus
from posts.services import post_create


def test_a_draft_offers_its_author_edit_and_submit(cast, login):
    post = post_create(agency=cast.agency, author=cast.officer, body="Road closed on Quay Road.")
    page = login(cast.officer).get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert reverse("posts:edit", args=[post.pk]) in page
    assert reverse("posts:submit", args=[post.pk]) in page
    assert reverse("posts:review", args=[post.pk]) not in page


def test_an_analyst_sees_the_post_but_no_actions(cast, login):
    post = post_create(agency=cast.agency, author=cast.officer, body="Road closed on Quay Road.")
    page = login(cast.analyst).get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "Road closed" in page
    assert reverse("posts:edit", args=[post.pk]) not in page
    assert reverse("posts:submit", args=[post.pk]) not in page


def test_a_supervisor_gets_a_review_link_for_a_post_in_review(cast, login):
    post = post_create(agency=cast.agency, author=cast.officer, body="Road closed on Quay Road.")
    workflow.post_submit(post=post, by=cast.officer)
    page = login(cast.supervisor).get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert reverse("posts:review", args=[post.pk]) in page


def test_the_author_sees_the_changes_a_supervisor_asked_for(cast, login):
    post = post_create(agency=cast.agency, author=cast.officer, body="Road closed on Quay Road.")
    workflow.post_submit(post=post, by=cast.officer)
    workflow.post_request_changes(
        post=post,
        by=cast.supervisor,
        comment="Say until when.",
        annotations=workflow.annotations_from_excerpts(post.body, [("Quay Road", "Which end?")]),
    )
    post.refresh_from_db()
    assert post.status == PostStatus.CHANGES_REQUESTED
    page = login(cast.officer).get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "Say until when." in page
    assert "Which end?" in page
    assert reverse("posts:submit", args=[post.pk]) in page
