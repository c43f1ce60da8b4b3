"""Scheduling from the post page, and the notifications page."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.services import notify
from posts import publishing
from posts.models import PostStatus, PostTarget, TargetStatus
from posts.services import post_create
from tests.posts.conftest import X_ID


def approved(cast, accs):
    post = post_create(
        agency=cast.agency, author=cast.officer, body="Road reopened.", status=PostStatus.APPROVED
    )
    post.accounts.set(accs)
    return post


def test_officer_schedules_in_the_agency_time_zone(cast, accounts, login):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save()
    post = approved(cast, accounts)
    local = (
        (timezone.now() + timedelta(days=1))
        .astimezone(cast.agency.tzinfo)
        .replace(second=0, microsecond=0)
    )
    response = login(cast.officer).post(
        reverse("posts:schedule", args=[post.pk]),
        {
            "at": local.strftime("%Y-%m-%dT%H:%M"),
            "accounts": [a.pk for a in accounts],
            "schedule": "",
        },
        follow=True,
    )
    assert "Scheduled for" in response.content.decode()
    assert {t.due_at for t in PostTarget.objects.filter(post=post)} == {local}
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED


def test_publish_now_goes_through_the_same_path(cast, accounts, login, sandbox):
    post = approved(cast, accounts[:1])
    login(cast.supervisor).post(
        reverse("posts:schedule", args=[post.pk]), {"accounts": [accounts[0].pk], "publish_now": ""}
    )
    assert [publishing.target_publish(target_id=pk) for pk in publishing.dispatch_due()] == [
        "published"
    ]
    assert [p["text"] for p in sandbox.posts("x", X_ID)] == ["Road reopened."]


def test_a_past_time_or_no_account_is_refused_with_a_message(cast, accounts, login):
    post = approved(cast, accounts)
    client = login(cast.officer)
    past = (timezone.localtime(timezone.now(), cast.agency.tzinfo) - timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = client.post(
        reverse("posts:schedule", args=[post.pk]), {"at": past, "accounts": [accounts[0].pk]}
    )
    assert response.status_code == 400 and "That time has passed" in response.content.decode()
    response = client.post(reverse("posts:schedule", args=[post.pk]), {"publish_now": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert not PostTarget.objects.exists()


def test_a_draft_cannot_be_scheduled_from_the_page(cast, accounts, login):
    post = post_create(agency=cast.agency, author=cast.officer, body="draft")
    response = login(cast.officer).post(
        reverse("posts:schedule", args=[post.pk]),
        {"accounts": [accounts[0].pk], "publish_now": ""},
        follow=True,
    )
    assert "Only an approved post can be scheduled." in response.content.decode()
    assert not PostTarget.objects.exists()


def test_analyst_reads_a_post_but_cannot_schedule_it(cast, accounts, login):
    post = approved(cast, accounts)
    client = login(cast.analyst)
    page = client.get(reverse("posts:detail", args=[post.pk]))
    assert page.status_code == 200 and "Publish now" not in page.content.decode()
    assert (
        client.post(reverse("posts:schedule", args=[post.pk]), {"publish_now": ""}).status_code
        == 403
    )


def test_another_agencys_post_cannot_be_scheduled(cast, other, accounts, login):
    post = approved(cast, accounts)
    response = login(other.officer).post(
        reverse("posts:schedule", args=[post.pk]), {"publish_now": ""}
    )
    assert response.status_code == 404
    assert not PostTarget.objects.exists()


def test_post_page_shows_each_accounts_result(cast, accounts, login, sandbox):
    post = approved(cast, accounts)
    sandbox.faults("facebook", accounts[1].external_id, {"token_expired": True})
    publishing.post_schedule(post=post, by=cast.supervisor, at=timezone.now())
    for pk in publishing.dispatch_due():
        publishing.target_publish(target_id=pk)
    html = login(cast.officer).get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "Partly failed" in html and "reconnect" in html
    assert PostTarget.objects.filter(status=TargetStatus.PUBLISHED).count() == 1


def test_notifications_show_unread_count_and_mark_read(cast, other, login):
    notify(
        agency=cast.agency,
        users=[cast.officer],
        message="Not published to @alpha",
        link="/posts/1/",
    )
    notify(agency=other.agency, users=[other.officer], message="Theirs")
    client = login(cast.officer)
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert "Not published to @alpha" in page and "Theirs" not in page
    assert 'class="count"' in page
    client.post(reverse("accounts:notifications"))
    assert not Notification.objects.filter(user=cast.officer, read_at__isnull=True).exists()
    assert 'class="count"' not in client.get(reverse("accounts:notifications")).content.decode()
