"""The content calendar: month, week and day pages, and moving a post in time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, PlatformAccount, Role
from campaigns.models import Campaign
from posts import calendar_services, publishing
from posts.calendar_services import calendar_reschedule
from posts.models import Post, PostStatus, PostTarget, TargetStatus
from posts.services import post_create

LONDON = ZoneInfo("Europe/London")
VIEWS = ("posts:calendar_month", "posts:calendar_week", "posts:calendar_day")


@pytest.fixture
def accts(cast):
    """Two connected accounts; moving a post never calls a platform, so no sandbox."""
    x = PlatformAccount.objects.create(
        agency=cast.agency, platform="x", handle="@alpha", external_id="101"
    )
    fb = PlatformAccount.objects.create(
        agency=cast.agency, platform="facebook", handle="Alpha", external_id="202"
    )
    return x, fb


def soon(hours: int = 24) -> datetime:
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def make_post(cast, status=PostStatus.DRAFT, at=None, body="Road closed on the A34.", **extra):
    post = post_create(
        agency=cast.agency,
        author=cast.officer,
        body=body,
        status=status,
        scheduled_at=at,
        **extra,
    )
    return post


def scheduled_post(cast, accts, at=None):
    """An approved post scheduled to the X account only (the Facebook page is ticked too)."""
    post = make_post(cast, status=PostStatus.APPROVED, body="Lost dog found.")
    post.accounts.set(accts)
    Post.objects.filter(pk=post.pk).update(approved_hash="a" * 64)
    publishing.post_schedule(post=post, by=cast.supervisor, at=at or soon(), accounts=accts[:1])
    post.refresh_from_db()
    return post


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- calendar_reschedule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED]
)
def test_a_post_not_yet_approved_only_has_its_time_changed_and_audited(cast, status):
    before, after = soon(24), soon(48)
    post = make_post(cast, status=status, at=before)
    Post.objects.filter(pk=post.pk).update(late_notified_at=timezone.now())

    moved = calendar_reschedule(post=post, by=cast.officer, at=after)

    assert moved.scheduled_at == after and moved.status == status
    assert moved.late_notified_at is None
    [event] = events("posts.post.rescheduled")
    assert event.actor == cast.officer and event.target_id == str(post.pk)
    assert event.data == {"from": before.isoformat(), "to": after.isoformat()}


def test_moving_a_scheduled_post_keeps_the_approval_and_moves_its_targets(cast, accts):
    post = scheduled_post(cast, accts)
    after = soon(72)

    calendar_reschedule(post=post, by=cast.officer, at=after)

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert post.approved_hash == "a" * 64
    assert post.scheduled_at == after
    # Only the account it was scheduled to, not every ticked account.
    [target] = PostTarget.objects.filter(post=post)
    assert target.account == accts[0]
    assert target.due_at == after and target.next_attempt_at == after
    assert events("posts.post.scheduled")[-1].data["at"] == after.isoformat()
    assert not events("posts.post.rescheduled")


def test_moving_an_approved_post_schedules_it_to_its_accounts(cast, accts):
    post = make_post(cast, status=PostStatus.APPROVED, at=soon(5))
    post.accounts.set(accts)
    after = soon(30)

    calendar_reschedule(post=post, by=cast.supervisor, at=after)

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.scheduled_at == after
    assert {t.account for t in post.targets.all()} == set(accts)
    assert {t.due_at for t in post.targets.all()} == {after}


@pytest.mark.parametrize(
    "status",
    [
        PostStatus.PUBLISHED,
        PostStatus.PARTLY_FAILED,
        PostStatus.FAILED,
        PostStatus.CANCELLED,
        PostStatus.REJECTED,
    ],
)
def test_a_post_that_went_out_or_was_closed_cannot_be_moved(cast, status):
    before = soon(2)
    post = make_post(cast, status=status, at=before)
    with pytest.raises(ValueError, match="moved"):
        calendar_reschedule(post=post, by=cast.officer, at=soon(48))
    post.refresh_from_db()
    assert post.scheduled_at == before
    assert not events("posts.post.rescheduled")


def test_a_queued_target_is_put_back_to_wait_for_the_new_time(cast, accts):
    post = scheduled_post(cast, accts)
    PostTarget.objects.filter(post=post).update(status=TargetStatus.QUEUED)
    after = soon(72)
    calendar_reschedule(post=post, by=cast.officer, at=after)
    [target] = PostTarget.objects.filter(post=post)
    assert target.status == TargetStatus.PENDING and target.next_attempt_at == after


@pytest.mark.parametrize("target_status", [TargetStatus.PUBLISHING, TargetStatus.PUBLISHED])
def test_a_post_being_published_cannot_be_moved(cast, accts, target_status):
    post = scheduled_post(cast, accts)
    PostTarget.objects.filter(post=post).update(status=target_status)
    scheduled_events = len(events("posts.post.scheduled"))
    with pytest.raises(ValueError, match="already being published"):
        calendar_reschedule(post=post, by=cast.officer, at=soon(72))
    assert len(events("posts.post.scheduled")) == scheduled_events


def test_a_time_in_the_past_is_refused(cast):
    post = make_post(cast, at=soon(2))
    with pytest.raises(ValueError, match="passed"):
        calendar_reschedule(post=post, by=cast.officer, at=timezone.now() - timedelta(minutes=1))


def test_a_naive_time_is_refused(cast):
    post = make_post(cast, at=soon(2))
    with pytest.raises(ValueError, match="aware"):
        calendar_reschedule(post=post, by=cast.officer, at=datetime(2030, 1, 1, 9, 0))  # noqa: DTZ001


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ADMIN])
def test_drafting_roles_may_move_posts(cast, role):
    post = make_post(cast, at=soon(2))
    calendar_reschedule(post=post, by=cast.by_role(role), at=soon(3))


def test_an_analyst_or_an_outsider_may_not_move_posts(cast, other):
    post = make_post(cast, at=soon(2))
    for person in (cast.analyst, other.officer):
        with pytest.raises(PermissionDenied):
            calendar_reschedule(post=post, by=person, at=soon(3))


# --- The pages ---------------------------------------------------------------------------------


def page(client, name, day=None, **params):
    query = {"date": day.isoformat()} if day else {}
    response = client.get(reverse(name), {**query, **params})
    return response, response.content.decode()


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN])
def test_everyone_on_the_calendar_sees_it_and_only_drafting_roles_can_drag(cast, login, name, role):
    at = soon(24)
    post = make_post(cast, at=at, body="Community meeting tonight")
    local_day = timezone.localtime(at, cast.agency.tzinfo).date()

    response, html = page(login(cast.by_role(role)), name, local_day)

    assert response.status_code == 200
    assert "Community meeting tonight" in html
    assert reverse("posts:detail", args=[post.pk]) in html
    assert "cal-status-draft" in html
    move_url = reverse("posts:calendar_reschedule", args=[post.pk])
    if role == Role.ANALYST:
        assert 'draggable="true"' not in html and move_url not in html
    else:
        assert 'draggable="true"' in html and move_url in html


@pytest.mark.parametrize("name", VIEWS)
def test_another_agencys_posts_are_never_shown(cast, other, login, name):
    at = soon(24)
    post_create(agency=other.agency, author=other.officer, body="Bravo secret", scheduled_at=at)
    make_post(cast, at=at, body="Alpha news")
    _, html = page(login(cast.officer), name, timezone.localtime(at, cast.agency.tzinfo).date())
    assert "Alpha news" in html and "Bravo secret" not in html


def test_another_agencys_post_cannot_be_moved_or_opened_for_moving(cast, other, login):
    post = post_create(agency=other.agency, author=other.officer, body="Bravo", scheduled_at=soon())
    client = login(cast.officer)
    url = reverse("posts:calendar_reschedule", args=[post.pk])
    assert client.get(url).status_code == 404
    at = timezone.localtime(soon(48), cast.agency.tzinfo).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"at": at}).status_code == 404
    post.refresh_from_db()
    assert post.scheduled_at != soon(48)


def test_an_analyst_cannot_use_the_move_page(cast, login):
    post = make_post(cast, at=soon())
    url = reverse("posts:calendar_reschedule", args=[post.pk])
    client = login(cast.analyst)
    assert client.get(url).status_code == 403
    assert client.post(url, {"at": "2030-01-01T09:00"}).status_code == 403


@pytest.mark.parametrize(
    ("local", "day"),
    [
        # 23:30 GMT on the day the clocks go back: 24 hours after local midnight would miss it.
        (datetime(2026, 10, 25, 23, 30, tzinfo=LONDON), "2026-10-25"),
        # 00:30 BST is 23:30 UTC the evening before.
        (datetime(2026, 10, 25, 0, 30, tzinfo=LONDON), "2026-10-25"),
        # The day the clocks go forward has 23 hours.
        (datetime(2026, 3, 29, 23, 30, tzinfo=LONDON), "2026-03-29"),
    ],
)
def test_days_follow_the_agency_clock_when_it_changes(cast, login, local, day):
    assert cast.agency.timezone == "Europe/London"
    make_post(cast, at=local.astimezone(UTC), body="On the long day")
    client = login(cast.officer)
    for name in VIEWS:
        _, html = page(client, name, datetime.fromisoformat(day).date())
        assert "On the long day" in html, name
        assert f'datetime="{local.isoformat()}"' in html, name
        assert f"{local:%H:%M}</time>" in html, name
    following = datetime.fromisoformat(day).date() + timedelta(days=1)
    _, html = page(client, "posts:calendar_day", following)
    assert "On the long day" not in html
    previous = datetime.fromisoformat(day).date() - timedelta(days=1)
    _, html = page(client, "posts:calendar_day", previous)
    assert "On the long day" not in html


def test_week_view_puts_a_post_in_its_local_hour(cast, login):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save()
    at = datetime(2030, 5, 6, 14, 45, tzinfo=ZoneInfo("Asia/Seoul"))
    make_post(cast, at=at, body="Seoul afternoon")
    _, html = page(login(cast.officer), "posts:calendar_week", at.date())
    slot = html.split('data-drop-date="2030-05-06" data-drop-hour="14"')[1].split("</td>")[0]
    assert "Seoul afternoon" in slot and "14:45" in slot


def test_cancelled_and_rejected_posts_are_shown_only_when_asked(cast, login):
    at = soon(24)
    make_post(cast, status=PostStatus.CANCELLED, at=at, body="Called off")
    make_post(cast, status=PostStatus.REJECTED, at=at, body="Not approved")
    day = timezone.localtime(at, cast.agency.tzinfo).date()
    client = login(cast.officer)
    _, html = page(client, "posts:calendar_month", day)
    assert "Called off" not in html and "Not approved" not in html
    _, html = page(client, "posts:calendar_month", day, closed="1")
    assert "Called off" in html and "Not approved" in html
    assert "cal-status-cancelled" in html and 'draggable="true"' not in html


def test_a_published_post_without_a_time_is_placed_where_it_went_out(cast, accts, login):
    post = make_post(cast, status=PostStatus.PUBLISHED, body="Went out at once")
    out = datetime(2030, 2, 3, 10, 15, tzinfo=UTC)
    for account, minutes in zip(accts, (0, 5), strict=True):
        PostTarget.objects.create(
            agency=cast.agency,
            post=post,
            account=account,
            status=TargetStatus.PUBLISHED,
            due_at=out,
            next_attempt_at=out,
            published_at=out + timedelta(minutes=minutes),
        )
    _, html = page(login(cast.officer), "posts:calendar_day", out.date())
    assert html.count("Went out at once") == 1 and "10:15</time>" in html
    assert 'draggable="true"' not in html


def test_a_campaign_gets_a_stable_colour_stripe(cast, login):
    campaign = Campaign.objects.create(
        agency=cast.agency, name="Safe roads", starts_on="2030-01-01", ends_on="2030-12-31"
    )
    at = soon(24)
    make_post(cast, at=at, campaign=campaign)
    make_post(cast, at=at + timedelta(hours=1), campaign=campaign)
    _, html = page(login(cast.officer), "posts:calendar_week", at.date())
    hue = (campaign.pk * 137) % 360
    assert html.count(f"--cal-hue: {hue}") == 2 and "cal-campaign" in html


def test_a_crowded_day_shows_twenty_and_links_to_the_rest(cast, login):
    at = datetime(2030, 6, 12, 9, 0, tzinfo=LONDON)
    for i in range(23):
        make_post(cast, at=at + timedelta(minutes=i), body=f"Item {i:02d}")
    client = login(cast.officer)
    _, html = page(client, "posts:calendar_month", at.date())
    assert html.count('class="cal-item') == 20
    assert "+3 more" in html
    assert f"{reverse('posts:calendar_day')}?date=2030-06-12" in html
    _, html = page(client, "posts:calendar_day", at.date())
    assert html.count('class="cal-item') == 23


def test_month_page_queries_do_not_grow_with_posts(cast, login, django_assert_max_num_queries):
    campaign = Campaign.objects.create(
        agency=cast.agency, name="Safe roads", starts_on="2030-01-01", ends_on="2030-12-31"
    )
    at = datetime(2030, 6, 12, 9, 0, tzinfo=LONDON)
    for i in range(15):
        make_post(cast, at=at + timedelta(days=i % 7, hours=i), campaign=campaign)
    client = login(cast.officer)
    client.get(reverse("posts:calendar_month"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("posts:calendar_month"), {"date": "2030-06-12"})
    assert response.status_code == 200


def test_navigation_links_move_by_the_views_unit(cast, login):
    client = login(cast.officer)
    _, html = page(client, "posts:calendar_month", datetime(2030, 1, 31).date())  # noqa: DTZ001
    assert "date=2029-12-01" in html and "date=2030-02-01" in html
    _, html = page(client, "posts:calendar_week", datetime(2030, 1, 30).date())  # noqa: DTZ001
    assert "date=2030-01-21" in html and "date=2030-02-04" in html
    _, html = page(client, "posts:calendar_day", datetime(2030, 1, 31).date())  # noqa: DTZ001
    assert "date=2030-01-30" in html and "date=2030-02-01" in html
    # The first calendar page's ?week= links still land on the right week.
    _, html = page(client, "posts:calendar_week", None, week="2030-01-30")
    assert "Week of 28 January 2030" in html


# --- Moving from the page ----------------------------------------------------------------------


def test_dragging_posts_json_and_the_page_shows_the_message(cast, login):
    post = make_post(cast, at=soon(24))
    target = timezone.localtime(soon(50), cast.agency.tzinfo)
    client = login(cast.officer)
    response = client.post(
        reverse("posts:calendar_reschedule", args=[post.pk]),
        {"at": target.strftime("%Y-%m-%dT%H:%M")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["ok"] is True and "moved to" in data["message"]
    post.refresh_from_db()
    assert post.scheduled_at == target
    # The script reloads the page, which shows the same message.
    _, html = page(client, "posts:calendar_week", target.date())
    assert data["message"] in html


def test_a_refused_drag_answers_json_with_the_reason(cast, login):
    post = make_post(cast, status=PostStatus.PUBLISHED, at=soon(2))
    response = login(cast.officer).post(
        reverse("posts:calendar_reschedule", args=[post.pk]),
        {"at": timezone.localtime(soon(50), cast.agency.tzinfo).strftime("%Y-%m-%dT%H:%M")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    data = json.loads(response.content)
    assert data["ok"] is False and "can no longer be moved" in data["message"]


def test_the_move_page_works_without_a_mouse(cast, accts, login):
    post = scheduled_post(cast, accts)
    client = login(cast.officer)
    url = reverse("posts:calendar_reschedule", args=[post.pk])
    back = reverse("posts:calendar_month") + "?date=2030-01-01"

    form_page = client.get(url, {"next": back}).content.decode()
    assert 'type="datetime-local"' in form_page and '<label for="id_at">' in form_page
    assert "The approval stands" in form_page

    past = timezone.localtime(timezone.now() - timedelta(hours=2), cast.agency.tzinfo)
    response = client.post(url, {"at": past.strftime("%Y-%m-%dT%H:%M"), "next": back})
    assert response.status_code == 400 and "That time has passed" in response.content.decode()

    target = timezone.localtime(soon(80), cast.agency.tzinfo)
    response = client.post(url, {"at": target.strftime("%Y-%m-%dT%H:%M"), "next": back})
    assert response.status_code == 302 and response["Location"] == back
    post.refresh_from_db()
    assert post.scheduled_at == target and post.status == PostStatus.SCHEDULED


def test_the_move_page_does_not_follow_a_foreign_next(cast, login):
    post = make_post(cast, at=soon(24))
    target = timezone.localtime(soon(50), cast.agency.tzinfo)
    response = login(cast.officer).post(
        reverse("posts:calendar_reschedule", args=[post.pk]),
        {"at": target.strftime("%Y-%m-%dT%H:%M"), "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("posts:calendar_week"))


def test_the_move_page_explains_why_a_post_cannot_move(cast, login):
    post = make_post(cast, status=PostStatus.PUBLISHED, at=soon(2))
    html = (
        login(cast.officer)
        .get(reverse("posts:calendar_reschedule", args=[post.pk]))
        .content.decode()
    )
    assert "can no longer be moved" in html and 'type="datetime-local"' not in html


def test_a_wall_clock_time_that_happens_twice_is_refused_by_the_form(cast, login):
    post = make_post(cast, at=soon(24))
    # 01:30 happens twice in London on 31 October 2027.
    response = login(cast.officer).post(
        reverse("posts:calendar_reschedule", args=[post.pk]),
        {"at": "2027-10-31T01:30"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "ambiguous" in json.loads(response.content)["message"]


def test_a_drop_on_the_long_day_is_read_in_the_agency_time_zone(cast, login):
    post = make_post(cast, at=soon(24))
    login(cast.officer).post(
        reverse("posts:calendar_reschedule", args=[post.pk]),
        {"at": "2027-10-31T23:30"},
        HTTP_ACCEPT="application/json",
    )
    post.refresh_from_db()
    assert post.scheduled_at == datetime(2027, 10, 31, 23, 30, tzinfo=UTC)  # GMT again
    start, end = calendar_services.local_range(
        datetime(2027, 10, 31).date(),  # noqa: DTZ001
        1,
        LONDON,
    )
    assert end - start == timedelta(hours=25)
