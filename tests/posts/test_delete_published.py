"""Taking a published post down from the platforms, through the real clients and the sandbox."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from posts import publishing, workflow
from posts.models import PostStatus, PostTarget, TargetStatus
from posts.services import post_create
from tests.posts.conftest import FB_ID, X_ID


def published_post(cast, accounts, body="Lost dog reunited with owner on the harbour wall."):
    post = post_create(
        agency=cast.agency, author=cast.officer, body=body, status=PostStatus.APPROVED
    )
    post.accounts.set(accounts)
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    for pk in publishing.dispatch_due():
        publishing.target_publish(target_id=pk)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    return post


def live(sandbox, platform, external_id):
    return [p for p in sandbox.posts(platform, external_id) if not p.get("deleted")]


def test_a_supervisor_deletes_a_post_from_every_platform_with_a_reason(cast, accounts, sandbox):
    post = published_post(cast, list(accounts))
    outcome = workflow.post_delete_from_platforms(
        post=post, by=cast.supervisor, reason="Named a witness by mistake."
    )
    assert sorted(outcome.deleted) == sorted(str(a) for a in accounts) and not outcome.failed
    assert live(sandbox, "x", X_ID) == [] and live(sandbox, "facebook", FB_ID) == []
    post.refresh_from_db()
    assert post.status == PostStatus.DELETED
    assert set(PostTarget.objects.filter(post=post).values_list("status", flat=True)) == {
        TargetStatus.DELETED
    }
    events = AuditEvent.objects.filter(action__in=["posts.target.deleted", "posts.post.deleted"])
    assert events.count() == 3
    assert all(e.data["reason"] == "Named a witness by mistake." for e in events)


def test_a_platform_that_refuses_keeps_its_copy_and_the_rest_are_deleted(cast, accounts, sandbox):
    x, fb = accounts
    post = published_post(cast, [x, fb])
    sandbox.faults("x", X_ID, {"error_5xx": 1})
    outcome = workflow.post_delete_from_platforms(post=post, by=cast.supervisor, reason="Wrong")
    assert outcome.deleted == [str(fb)] and [a for a, _ in outcome.failed] == [str(x)]
    assert len(live(sandbox, "x", X_ID)) == 1 and live(sandbox, "facebook", FB_ID) == []
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED  # still public on X: not "deleted"
    statuses = dict(PostTarget.objects.filter(post=post).values_list("account_id", "status"))
    assert statuses == {x.pk: TargetStatus.PUBLISHED, fb.pk: TargetStatus.DELETED}


@pytest.mark.parametrize("who", ["officer", "analyst"])
def test_only_supervisors_and_admins_delete(cast, accounts, sandbox, who):
    post = published_post(cast, list(accounts))
    with pytest.raises(workflow.WorkflowError):
        workflow.post_delete_from_platforms(post=post, by=getattr(cast, who), reason="No")
    assert len(live(sandbox, "x", X_ID)) == 1


def test_a_reason_is_required_and_only_published_posts_qualify(cast, accounts, sandbox):
    post = published_post(cast, list(accounts))
    with pytest.raises(workflow.WorkflowError, match="Say why"):
        workflow.post_delete_from_platforms(post=post, by=cast.supervisor, reason="  ")
    draft = post_create(agency=cast.agency, author=cast.officer, body="Not out yet.")
    with pytest.raises(workflow.WorkflowError, match="Only a published post"):
        workflow.post_delete_from_platforms(post=draft, by=cast.supervisor, reason="x")


def test_the_confirmation_page_then_the_deletion(cast, accounts, sandbox, login):
    post = published_post(cast, list(accounts))
    client = login(cast.supervisor)
    url = reverse("posts:delete_published", args=[post.pk])
    page = client.get(url)
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Duplicate of another post."}).status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.DELETED
    assert login(cast.officer).get(url).status_code == 403


def test_another_agencys_post_cannot_be_deleted(cast, other, accounts, sandbox, login):
    post = published_post(cast, list(accounts))
    url = reverse("posts:delete_published", args=[post.pk])
    assert login(other.supervisor).post(url, {"reason": "x"}).status_code == 404
    assert len(live(sandbox, "x", X_ID)) == 1


def test_a_post_already_removed_on_the_platform_counts_as_deleted(cast, accounts, sandbox):
    x, fb = accounts
    post = published_post(cast, [x, fb])
    for target in PostTarget.objects.filter(post=post).select_related("account"):
        publishing.client_for_account(target.account).delete(target.external_id)  # by hand
    outcome = workflow.post_delete_from_platforms(post=post, by=cast.supervisor, reason="Gone")
    assert sorted(outcome.deleted) == sorted([str(x), str(fb)]) and not outcome.failed
    post.refresh_from_db()
    assert post.status == PostStatus.DELETED
