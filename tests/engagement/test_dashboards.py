"""The analyst dashboards: the selectors on fixed data (engagement/dashboards.py), and the pages
(engagement/views_dashboards.py) per role, per agency, with their CSV, filters and query costs.

The data is made directly with the ORM: published targets with their TargetMetrics rollup rows,
MetricSnapshot curve points, daily AccountSnapshots, conversations and messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import html as html_lib
import io
import json
import zoneinfo
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import PlatformAccount, Role
from campaigns.models import Campaign
from engagement import dashboards
from engagement.dashboards import Filters, Period
from engagement.models import (
    AccountSnapshot,
    Conversation,
    Direction,
    Message,
    MetricSnapshot,
    TargetMetrics,
)
from posts.models import Post, PostStatus, PostTarget, TargetStatus
from tests.campaigns.figures_support import public_use

UTC = dt.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
PERIOD = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 10), LONDON)  # previous: 20-29 Feb
QUERY = {"from": "2024-03-01", "to": "2024-03-10"}
_numbers = count(1)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --- Builders -----------------------------------------------------------------------------------


def make_account(agency, platform: str = "x", handle: str = "alphapolice") -> PlatformAccount:
    return PlatformAccount.objects.create(
        agency=agency, platform=platform, handle=handle, external_id=f"ext-{next(_numbers)}"
    )


def make_post(
    author,
    targets: list[tuple[PlatformAccount, int, int]],
    *,
    when: dt.datetime,
    style: str = "narrative",
    campaign: Campaign | None = None,
    body: str = "",
) -> Post:
    """A published post with one target per (account, impressions, engagements), and the
    rollup rows the metrics collection keeps for them."""
    agency = targets[0][0].agency
    post = Post.objects.create(
        agency=agency,
        author=author,
        body=body or f"Post number {next(_numbers)}",
        style=style,
        status=PostStatus.PUBLISHED,
        campaign=campaign,
    )
    for account, impressions, engagements in targets:
        target = PostTarget.objects.create(
            agency=agency,
            post=post,
            account=account,
            status=TargetStatus.PUBLISHED,
            due_at=when,
            next_attempt_at=when,
            published_at=when,
            external_id=f"pub-{next(_numbers)}",
        )
        TargetMetrics.objects.create(
            target=target,
            agency=agency,
            account=account,
            post=post,
            platform=account.platform,
            style=style,
            published_at=when,
            impressions=impressions,
            likes=engagements,
            engagements=engagements,
            measured_at=when + dt.timedelta(hours=1),
        )
    return post


def snapshot(account, day: dt.date, followers: int, engaged: int = 0) -> AccountSnapshot:
    return AccountSnapshot.objects.create(
        account=account,
        agency=account.agency,
        taken_on=day,
        followers=followers,
        engaged_people=engaged,
    )


def conversation(
    account,
    started: dt.datetime,
    *,
    due_minutes: int | None = 60,
    answered_after: int | None = None,
    category: str = "question",
) -> Conversation:
    answered = started + dt.timedelta(seconds=answered_after) if answered_after else None
    return Conversation.objects.create(
        agency=account.agency,
        account=account,
        platform=account.platform,
        root_external_id=f"root-{next(_numbers)}",
        category=category,
        last_activity_at=started,
        first_inbound_at=started,
        response_due_at=started + dt.timedelta(minutes=due_minutes) if due_minutes else None,
        first_response_at=answered,
        first_response_seconds=answered_after,
    )


def message(
    thread: Conversation,
    when: dt.datetime,
    category: str = "question",
    direction: str = Direction.INBOUND,
) -> Message:
    return Message.objects.create(
        agency=thread.agency,
        conversation=thread,
        platform=thread.platform,
        external_id=f"msg-{next(_numbers)}",
        text="Hello",
        created_at=when,
        direction=direction,
        kind="reply",
        category=category,
    )


# --- The fixed world ----------------------------------------------------------------------------


class World:
    """Alpha's accounts, posts and audience over PERIOD (1-10 March 2024, London) and the
    previous period (20-29 February), and a busy bravo agency that must never show up."""

    def __init__(self, cast, other):
        self.x = make_account(cast.agency, "x", "alphapolice")
        self.fb = make_account(cast.agency, "facebook", "부산경찰")
        officer = cast.officer
        self.campaign = Campaign.objects.create(
            agency=cast.agency,
            name="Safe roads",
            hashtags="#SafeRoads",
            starts_on=dt.date(2024, 3, 1),
            ends_on=dt.date(2024, 3, 31),
        )
        self.quiet = Campaign.objects.create(
            agency=cast.agency,
            name="Quiet week",
            starts_on=dt.date(2024, 2, 25),
            ends_on=dt.date(2024, 3, 2),
        )
        Campaign.objects.create(
            agency=cast.agency,
            name="January",
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2024, 1, 31),
        )
        # This period: A on both accounts, B on X just before midnight on the last day.
        self.a = make_post(
            officer,
            [(self.x, 1000, 50), (self.fb, 500, 30)],
            when=at(2024, 3, 2, 10),
            style="appeal",
            campaign=self.campaign,
            body="Have you seen this bicycle?",
        )
        self.b = make_post(officer, [(self.x, 2000, 120)], when=at(2024, 3, 10, 23, 30))
        # The previous period, and outside both.
        self.c = make_post(officer, [(self.x, 800, 40)], when=at(2024, 2, 25, 9))
        make_post(officer, [(self.x, 99_999, 9_999)], when=at(2024, 2, 10, 9))
        make_post(officer, [(self.x, 99_999, 9_999)], when=at(2024, 3, 11, 0, 0))
        # Followers: X measured all along; the Facebook page only since 3 March.
        for day, followers in ((19, 900), (29, 1000)):
            snapshot(self.x, dt.date(2024, 2, day), followers)
        snapshot(self.x, dt.date(2024, 3, 5), 1100, 20)
        snapshot(self.x, dt.date(2024, 3, 10), 1200, 30)
        snapshot(self.fb, dt.date(2024, 3, 3), 400, 2)
        snapshot(self.fb, dt.date(2024, 3, 10), 500, 1)
        snapshot(self.x, dt.date(2024, 3, 12), 5000, 0)  # after the period

        # Bravo: big numbers in the same period.
        self.bravo_x = make_account(other.agency, "x", "bravopolice")
        self.bravo_post = make_post(
            other.officer, [(self.bravo_x, 777_777, 55_555)], when=at(2024, 3, 5, 12)
        )
        snapshot(self.bravo_x, dt.date(2024, 3, 10), 88_888, 8)
        bravo_thread = conversation(self.bravo_x, at(2024, 3, 5, 12), answered_after=5)
        message(bravo_thread, at(2024, 3, 5, 12), "tip")
        Campaign.objects.create(
            agency=other.agency,
            name="Bravo campaign",
            starts_on=dt.date(2024, 3, 1),
            ends_on=dt.date(2024, 3, 31),
        )


@pytest.fixture
def world(cast, other) -> World:
    return World(cast, other)


def figures(agency, **filters) -> dashboards.Overview:
    return dashboards.overview(agency=agency, filters=Filters(PERIOD, **filters))


# --- Overview -----------------------------------------------------------------------------------


def test_overview_counts_posts_published_in_the_period_and_sums_their_latest_figures(cast, world):
    data = figures(cast.agency)
    assert (data.current.posts, data.current.impressions, data.current.engagements) == (
        2,
        3500,
        200,
    )
    assert (data.previous.posts, data.previous.impressions, data.previous.engagements) == (
        1,
        800,
        40,
    )


def test_followers_come_from_the_latest_snapshot_on_or_before_each_end(cast, world):
    data = figures(cast.agency)
    # End: X 1,200 + Facebook 500. Start: X on 29 Feb (1,000) + Facebook's first count (400).
    assert (data.current.followers_start, data.current.followers_end) == (1400, 1700)
    assert data.current.follower_growth.absolute == 300
    assert data.current.follower_growth.percent == pytest.approx(300 / 1400 * 100)
    # The previous period: X from 900 (19 Feb) to 1,000; Facebook not measured yet.
    assert (data.previous.followers_start, data.previous.followers_end) == (900, 1000)


def test_engagement_rate_and_change_against_the_previous_period(cast, world):
    data = figures(cast.agency)
    assert data.current.engagement_rate == pytest.approx(200 / 1700 * 100)
    assert data.previous.engagement_rate == pytest.approx(4.0)
    changes = data.changes
    assert (changes["posts"].absolute, changes["posts"].percent) == (1, 100.0)
    assert (changes["impressions"].absolute, changes["impressions"].percent) == (2700, 337.5)
    assert changes["engagements"].percent == 400.0
    assert changes["engagement_rate"].absolute == pytest.approx(200 / 1700 * 100 - 4)
    assert changes["follower_growth"].absolute == 200  # 300 against 100


def test_overview_per_account(cast, world):
    lines = {line.account_id: line.figures for line in figures(cast.agency).accounts}
    x, fb = lines[world.x.pk], lines[world.fb.pk]
    assert (x.posts, x.impressions, x.engagements, x.followers_end) == (2, 3000, 170, 1200)
    assert x.follower_growth.absolute == 200
    assert x.engagement_rate == pytest.approx(170 / 1200 * 100)
    assert (fb.posts, fb.impressions, fb.engagements, fb.followers_start, fb.followers_end) == (
        1,
        500,
        30,
        400,
        500,
    )


def test_overview_by_day_lines_up_the_previous_period(cast, world):
    days = figures(cast.agency).days
    assert len(days) == 10
    assert (days[1].day, days[1].posts, days[1].impressions, days[1].engagements) == (
        dt.date(2024, 3, 2),
        1,
        1500,
        80,
    )
    assert days[9].engagements == 120  # 23:30 on the last day is still in it
    assert (days[5].previous_day, days[5].previous_engagements) == (dt.date(2024, 2, 25), 40)


def test_top_posts_are_ordered_by_engagements(cast, world):
    top = figures(cast.agency).top_posts
    assert [(p.post_id, p.engagements, p.targets) for p in top] == [
        (world.b.pk, 120, 1),
        (world.a.pk, 80, 2),
    ]
    assert top[1].style_label == "Appeal for information"


def test_overview_filters_by_platform_account_and_style(cast, world):
    fb = figures(cast.agency, platform="facebook").current
    assert (fb.posts, fb.impressions, fb.followers_end) == (1, 500, 500)
    x = figures(cast.agency, account_id=world.x.pk).current
    assert (x.posts, x.impressions, x.followers_end) == (2, 3000, 1200)
    appeals = figures(cast.agency, style="appeal").current
    assert (appeals.posts, appeals.impressions, appeals.engagements) == (1, 1500, 80)


def test_no_followers_known_gives_no_rate(cast):
    account = make_account(cast.agency)
    make_post(cast.officer, [(account, 10, 5)], when=at(2024, 3, 4, 12))
    data = figures(cast.agency)
    assert data.current.followers_end is None
    assert data.current.engagement_rate is None
    assert data.current.follower_growth.absolute is None


# --- Styles and the heatmap ----------------------------------------------------------------------


def test_styles_compare_averages_per_post(cast, world):
    data = dashboards.styles(agency=cast.agency, filters=Filters(PERIOD))
    lines = {line.style: line for line in data.lines}
    assert [line.style for line in data.lines] == ["narrative", "appeal"]  # best first
    appeal = lines["appeal"]
    assert (appeal.posts, appeal.impressions, appeal.engagements) == (1, 1500, 80)
    assert appeal.avg_engagements == 80
    assert lines["narrative"].engagement_rate == pytest.approx(120 / 1700 * 100)


def heat(agency) -> dict[tuple[int, int], dashboards.HeatCell]:
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 7, 31), agency.tzinfo)
    data = dashboards.styles(agency=agency, filters=Filters(period))
    return {(row.weekday, c.hour): c for row in data.heatmap for c in row.cells if c.posts}


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # Monday 4 March 15:30 UTC; Saturday 6 July 22:15 UTC (summer time in London).
        ("UTC", {(1, 15): 10, (6, 22): 30}),
        ("Asia/Seoul", {(2, 0): 10, (7, 7): 30}),  # UTC+9 all year
        ("Europe/London", {(1, 15): 10, (6, 23): 30}),  # +1 in summer
    ],
)
def test_heatmap_buckets_by_weekday_and_hour_in_the_agency_time_zone(cast, zone, expected):
    cast.agency.timezone = zone
    cast.agency.save(update_fields=["timezone"])
    account = make_account(cast.agency)
    make_post(cast.officer, [(account, 100, 10)], when=at(2024, 3, 4, 15, 30))
    make_post(cast.officer, [(account, 100, 20)], when=at(2024, 7, 6, 22, 15))
    make_post(cast.officer, [(account, 100, 40)], when=at(2024, 7, 6, 22, 45))
    cells = heat(cast.agency)
    assert {key: cell.avg_engagements for key, cell in cells.items()} == expected
    busiest = max(cells.values(), key=lambda c: c.avg_engagements)
    assert (busiest.posts, busiest.level) == (2, 1.0)


def test_seoul_days_start_at_midnight_seoul(cast):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save(update_fields=["timezone"])
    account = make_account(cast.agency)
    make_post(cast.officer, [(account, 100, 10)], when=at(2024, 3, 4, 15, 30))  # 5 Mar 00:30 KST
    make_post(cast.officer, [(account, 100, 20)], when=at(2024, 3, 4, 14, 30))  # 4 Mar 23:30 KST
    period = Period(dt.date(2024, 3, 5), dt.date(2024, 3, 5), SEOUL)
    data = dashboards.overview(agency=cast.agency, filters=Filters(period))
    assert (data.current.posts, data.current.engagements) == (1, 10)
    assert [(d.day, d.engagements, d.previous_engagements) for d in data.days] == [
        (dt.date(2024, 3, 5), 10, 20)
    ]


# --- The inbox ----------------------------------------------------------------------------------


@pytest.fixture
def inbox_world(cast, world):
    x = world.x
    conversation(x, at(2024, 3, 2, 10), answered_after=1800)  # within the hour
    conversation(x, at(2024, 3, 3, 10), answered_after=7200, category="complaint")  # late
    conversation(x, at(2024, 3, 4, 10), answered_after=600)  # within
    conversation(x, at(2024, 3, 5, 10))  # never answered, overdue
    conversation(x, at(2024, 3, 10, 10))  # not due yet at NOW
    conversation(x, at(2024, 3, 6, 10), due_minutes=None, answered_after=3000)  # no target
    conversation(x, at(2024, 2, 28, 10), answered_after=99_999)  # before the period
    thread = conversation(world.fb, at(2024, 2, 27, 9), due_minutes=None)
    message(thread, at(2024, 3, 2, 9), "question")
    message(thread, at(2024, 3, 2, 23, 30), "question")
    message(thread, at(2024, 3, 3, 9), "complaint")
    message(thread, at(2024, 3, 3, 9, 5), "question", direction=Direction.OUTBOUND)
    message(thread, at(2024, 2, 28, 9), "tip")
    return world


NOW = at(2024, 3, 10, 10, 30)


def test_first_response_percentiles_interpolate_like_percentile_cont(cast, inbox_world):
    data = dashboards.inbox(agency=cast.agency, filters=Filters(PERIOD), now=NOW)
    response = data.response
    assert (response.started, response.answered) == (6, 4)
    # Answered: 600, 1,800, 3,000, 7,200 seconds.
    assert response.p50_seconds == pytest.approx(2400)
    assert response.p90_seconds == pytest.approx(5940)


def test_within_target_counts_the_due_or_answered_ones(cast, inbox_world):
    response = dashboards.inbox(agency=cast.agency, filters=Filters(PERIOD), now=NOW).response
    # Due or answered, with a target: the two on time, the late one and the overdue one.
    assert (response.within_target, response.eligible) == (2, 4)
    assert response.within_target_share == 50.0


def test_inbox_volume_counts_inbound_messages_by_category_and_day(cast, inbox_world):
    data = dashboards.inbox(agency=cast.agency, filters=Filters(PERIOD), now=NOW)
    volume = {c.category: c.messages for c in data.categories}
    assert (volume["question"], volume["complaint"], volume["tip"]) == (2, 1, 0)
    assert data.total_messages == 3
    day = {d.day: d for d in data.days}
    assert day[dt.date(2024, 3, 2)].by_category["question"] == 2
    assert day[dt.date(2024, 3, 3)].total == 1
    by_category = {c.category: c.response for c in data.categories}
    assert (by_category["complaint"].started, by_category["complaint"].p50_seconds) == (1, 7200)


def test_inbox_days_are_the_agency_s_days(cast, inbox_world):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save(update_fields=["timezone"])
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 10), SEOUL)
    data = dashboards.inbox(agency=cast.agency, filters=Filters(period), now=NOW)
    day = {d.day: d.by_category for d in data.days}
    # 2 March 23:30 UTC is 3 March 08:30 in Seoul.
    assert (day[dt.date(2024, 3, 2)]["question"], day[dt.date(2024, 3, 3)]["question"]) == (1, 1)


# --- Campaigns and audience ---------------------------------------------------------------------


def test_campaigns_running_in_the_period_side_by_side(cast, world):
    data = dashboards.campaigns(agency=cast.agency, filters=Filters(PERIOD))
    lines = {line.name: line for line in data.lines}
    assert set(lines) == {"Safe roads", "Quiet week"}
    safe = lines["Safe roads"]
    assert (safe.posts, safe.impressions, safe.engagements) == (1, 1500, 80)
    assert safe.engagement_rate == pytest.approx(80 / 1700 * 100)
    assert (lines["Quiet week"].posts, lines["Quiet week"].avg_engagements) == (0, None)
    assert (safe.extras["public_uses"], safe.extras["goal_target"]) == (0, None)


def test_campaigns_show_public_uses_and_goal_progress(cast, world, client):
    world.campaign.goal_kind = "public_uses"
    world.campaign.goal_target = 8
    world.campaign.save(update_fields=["goal_kind", "goal_target"])
    at = dt.datetime(2024, 3, 5, 12, tzinfo=dt.UTC)
    for n, author in enumerate(("ann", "ann", "bo")):
        public_use(world.campaign, n, author=author, at=at)
    data = dashboards.campaigns(agency=cast.agency, filters=Filters(PERIOD))
    safe = {line.name: line for line in data.lines}["Safe roads"]
    assert (safe.extras["public_uses"], safe.extras["goal_value"]) == (3, 3)
    assert safe.extras["goal_percent"] == pytest.approx(37.5)
    client.force_login(cast.analyst)
    page = client.get(
        reverse("engagement:dashboard_campaigns"), {"from": "2024-03-01", "to": "2024-03-10"}
    )
    assert '<progress max="100" value="38"' in page.content.decode()
    assert "3 / 8 public uses" in page.content.decode().lower()


def test_audience_series_and_the_silent_following_flag(cast):
    loud, silent, small = (make_account(cast.agency, "x", h) for h in ("loud", "silent", "small"))
    for day, (a, b, c) in enumerate([(50, 40, 0), (60, 10, 0)], start=9):
        snapshot(loud, dt.date(2024, 3, day), 5000, a)
        snapshot(silent, dt.date(2024, 3, day), 5000, b)
        snapshot(small, dt.date(2024, 3, day), 900, c)
    data = dashboards.audience(agency=cast.agency, filters=Filters(PERIOD))
    lines = {line.label: line for line in data.lines}
    assert [(p.day, p.followers, p.engaged_people) for p in lines["X silent"].points] == [
        (dt.date(2024, 3, 9), 5000, 40),
        (dt.date(2024, 3, 10), 5000, 10),
    ]
    # The latest count decides: 10 of 5,000 is 0.2 %.
    assert [line.label for line in data.flagged] == ["X silent"]
    assert lines["X silent"].latest.engaged_pct == pytest.approx(0.2)


# --- Pages: who sees them -----------------------------------------------------------------------

PAGES = [
    "engagement:dashboards",
    "engagement:dashboard_styles",
    "engagement:dashboard_inbox",
    "engagement:dashboard_campaigns",
    "engagement:dashboard_audience",
]


def detail_urls(world) -> list[str]:
    return [
        reverse("engagement:dashboard_account", args=[world.x.pk]),
        reverse("engagement:dashboard_post", args=[world.a.pk]),
    ]


def all_urls(world) -> list[str]:
    return [reverse(name) for name in PAGES] + detail_urls(world)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SUPERVISOR, Role.ADMIN])
def test_every_dashboard_opens_for_the_roles_with_dashboards(cast, world, login, role):
    client = login(cast.by_role(role))
    for url in all_urls(world):
        response = client.get(url, QUERY)
        assert response.status_code == 200, url
        assert b"chart.umd.min.js" in response.content


def test_officers_have_no_dashboards(cast, world, login):
    client = login(cast.officer)
    for url in all_urls(world):
        assert client.get(url, QUERY).status_code == 403, url


def test_dashboards_change_nothing_so_there_is_nothing_to_post(cast, world, login):
    client = login(cast.analyst)
    for url in all_urls(world):
        assert client.post(url, QUERY).status_code == 405, url


def test_signed_out_people_are_sent_to_sign_in(client, world):
    response = client.get(reverse("engagement:dashboards"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_tabs_mark_the_current_page_and_keep_the_filters(cast, world, login):
    client = login(cast.analyst)
    response = client.get(reverse("engagement:dashboard_inbox"), QUERY | {"platform": "x"})
    tabs = {tab["url"]: tab["current"] for tab in response.context["tabs"]}
    inbox_url = reverse("engagement:dashboard_inbox") + "?from=2024-03-01&to=2024-03-10&platform=x"
    assert tabs[inbox_url] is True
    assert sum(tabs.values()) == 1
    assert (
        f'href="{inbox_url.replace("&", "&amp;")}" aria-current="page"' in response.content.decode()
    )


def test_the_overview_shows_figures_for_people(cast, world, login):
    response = login(cast.analyst).get(reverse("engagement:dashboards"), QUERY)
    text = page(response)
    assert "3,500" in text  # impressions, with a thousands separator
    assert "+337.5%" in text  # against the previous period
    assert "11.76%" in text  # engagement rate
    assert reverse("engagement:dashboard_account", args=[world.fb.pk]) in text
    assert reverse("engagement:dashboard_post", args=[world.b.pk]) in text
    spec = json.loads(
        response.content.decode()
        .split('id="chart-engagements" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert spec["datasets"][0]["data"][1] == 80


def page(response) -> str:
    return html_lib.unescape(response.content.decode())


def test_empty_pages_say_what_is_missing(cast, login):
    client = login(cast.analyst)
    text = page(client.get(reverse("engagement:dashboards")))
    assert "No metrics yet: they are collected every 15 minutes after a post is published." in text
    assert "No follower counts yet" in text
    assert "No messages from the public" in page(client.get(reverse("engagement:dashboard_inbox")))
    assert "No campaign runs" in page(client.get(reverse("engagement:dashboard_campaigns")))
    assert "No audience figures" in page(client.get(reverse("engagement:dashboard_audience")))


def test_the_default_period_is_the_last_28_days(cast, login):
    response = login(cast.analyst).get(reverse("engagement:dashboards"))
    period = response.context["period"]
    assert period.days == 28
    assert period.end_date == dt.datetime.now(tz=cast.agency.tzinfo).date()


def test_the_post_page_draws_one_curve_per_account(cast, world, login):
    targets = {t.account_id: t for t in PostTarget.objects.filter(post=world.a)}
    published = at(2024, 3, 2, 10)
    for account, base in ((world.x, 100), (world.fb, 10)):
        for i in range(1, 4):
            MetricSnapshot.objects.create(
                target=targets[account.pk],
                agency=cast.agency,
                taken_at=published + dt.timedelta(minutes=15 * i),
                impressions=base * i,
                likes=i,
                replies=1,
            )
    response = login(cast.analyst).get(reverse("engagement:dashboard_post", args=[world.a.pk]))
    assert response.status_code == 200
    data = response.context["data"]
    assert [(line.label, len(line.points)) for line in data.lines] == [
        ("Facebook 부산경찰", 3),
        ("X alphapolice", 3),
    ]
    chart = response.context["charts"]["impressions"]
    assert chart["x"]["type"] == "linear"
    assert chart["datasets"][1]["data"][0] == {"x": 0.25, "y": 100}
    assert response.context["charts"]["engagements"]["datasets"][1]["data"][2]["y"] == 4

    rows = read_csv(
        login(cast.analyst).get(
            reverse("engagement:dashboard_post", args=[world.a.pk]), {"format": "csv"}
        )
    )
    assert rows[0][:4] == ["taken_at", "account", "platform", "hours_since_publication"]
    assert len(rows) == 7
    assert rows[1][:2] == ["2024-03-02T10:15:00+00:00", "Facebook 부산경찰"]


def test_the_post_page_without_metrics_says_so(cast, world, login):
    post = make_post(cast.officer, [(world.x, 0, 0)], when=at(2024, 3, 4, 12))
    text = page(login(cast.analyst).get(reverse("engagement:dashboard_post", args=[post.pk])))
    assert "No metrics yet" in text


def test_the_post_detail_links_to_its_curves_for_dashboard_roles(cast, world, login):
    url = reverse("engagement:dashboard_post", args=[world.a.pk])
    detail = reverse("posts:detail", args=[world.a.pk])
    assert url in login(cast.analyst).get(detail).content.decode()
    assert url not in login(cast.officer).get(detail).content.decode()


# --- Pages: CSV -----------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="beat-')
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # so Excel reads UTF-8 (Korean)
    return list(csv.reader(io.StringIO(body[1:])))


def test_overview_csv(cast, world, login):
    response = login(cast.analyst).get(reverse("engagement:dashboards"), QUERY | {"format": "csv"})
    assert 'filename="beat-overview-2024-03-01-2024-03-10.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == [
        "section",
        "label",
        "posts",
        "impressions",
        "engagements",
        "followers_end",
        "follower_growth",
        "follower_growth_pct",
        "engagement_rate_pct",
    ]
    assert rows[1] == ["period", "2024-03-01..2024-03-10", "2", "3500", "200", "1700", "300"] + [
        "21.43",
        "11.76",
    ]
    assert rows[2][:5] == ["previous_period", "2024-02-20..2024-02-29", "1", "800", "40"]
    accounts = {r[1]: r for r in rows if r[0] == "account"}
    assert accounts["Facebook 부산경찰"][2:6] == ["1", "500", "30", "500"]
    days = [r for r in rows if r[0] == "day"]
    assert len(days) == 10
    assert days[1][:5] == ["day", "2024-03-02", "1", "1500", "80"]


def test_every_page_has_its_csv(cast, world, inbox_world, login):
    client = login(cast.analyst)
    headers = {}
    for url in all_urls(world):
        rows = read_csv(client.get(url, QUERY | {"format": "csv"}))
        headers[url] = rows
    styles = headers[reverse("engagement:dashboard_styles")]
    assert styles[0][:4] == ["section", "style", "weekday", "hour"]
    assert ["style", "appeal", "", "", "1", "1500", "80"] == styles[2][:7]
    inbox = headers[reverse("engagement:dashboard_inbox")]
    assert inbox[0][:4] == ["section", "date", "category", "messages"]
    assert inbox[1][:6] == ["total", "", "", "3", "6", "4"]
    campaigns = headers[reverse("engagement:dashboard_campaigns")]
    assert campaigns[0][:2] == ["campaign_id", "name"]
    assert {r[1] for r in campaigns[1:]} == {"Safe roads", "Quiet week"}
    audience = headers[reverse("engagement:dashboard_audience")]
    assert audience[0] == [
        "date",
        "account_id",
        "account",
        "platform",
        "followers",
        "engaged_people",
        "engaged_pct",
        "large_silent_following",
    ]
    assert ["2024-03-05", str(world.x.pk), "X alphapolice", "x", "1100", "20"] in [
        r[:6] for r in audience
    ]
    account = headers[reverse("engagement:dashboard_account", args=[world.x.pk])]
    assert account[0][-2:] == ["followers", "engaged_people"]
    march_10 = next(r for r in account if r[:2] == ["day", "2024-03-10"])
    assert march_10[2:5] == ["1", "2000", "120"] and march_10[-2:] == ["1200", "30"]


def test_csv_cells_that_look_like_formulas_are_made_inert(cast, login):
    Campaign.objects.create(
        agency=cast.agency,
        name="=HYPERLINK(1)",
        starts_on=dt.date(2024, 3, 1),
        ends_on=dt.date(2024, 3, 2),
    )
    rows = read_csv(
        login(cast.analyst).get(
            reverse("engagement:dashboard_campaigns"), QUERY | {"format": "csv"}
        )
    )
    assert rows[1][1] == "'=HYPERLINK(1)"


# --- Pages: other agencies ------------------------------------------------------------------------


def test_another_agency_sees_none_of_alpha_s_figures(other, world, login):
    client = login(other.admin)
    data = client.get(reverse("engagement:dashboards"), QUERY).context["data"]
    assert (data.current.posts, data.current.impressions) == (1, 777_777)
    assert [a.label for a in data.accounts] == ["X bravopolice"]
    text = page(client.get(reverse("engagement:dashboard_campaigns"), QUERY))
    assert "Safe roads" not in text and "Bravo campaign" in text
    styles = client.get(reverse("engagement:dashboard_styles"), QUERY).context["data"]
    assert sum(line.posts for line in styles.lines) == 1
    inbox = client.get(reverse("engagement:dashboard_inbox"), QUERY).context["data"]
    assert (inbox.total_messages, inbox.response.started) == (1, 1)
    audience = client.get(reverse("engagement:dashboard_audience"), QUERY).context["data"]
    assert [line.label for line in audience.lines] == ["X bravopolice"]


def test_alpha_s_figures_stay_at_zero_for_a_new_agency(cast, other, world, login):
    TargetMetrics.objects.filter(agency=other.agency).delete()
    data = login(other.admin).get(reverse("engagement:dashboards"), QUERY).context["data"]
    assert (data.current.posts, data.current.impressions, data.current.engagements) == (0, 0, 0)


def test_another_agency_s_post_and_account_are_not_found(other, world, login):
    client = login(other.analyst)
    assert client.get(reverse("engagement:dashboard_post", args=[world.a.pk])).status_code == 404
    assert client.get(reverse("engagement:dashboard_account", args=[world.x.pk])).status_code == 404
    csv_url = reverse("engagement:dashboard_post", args=[world.a.pk])
    assert client.get(csv_url, {"format": "csv"}).status_code == 404


def test_another_agency_s_account_as_a_filter_is_an_error(other, world, login):
    client = login(other.analyst)
    for name in ("engagement:dashboards", "engagement:dashboard_inbox"):
        response = client.get(reverse(name), QUERY | {"account": world.x.pk})
        assert response.status_code == 400
        assert "data" not in response.context
        assert "Select a valid choice" in page(response)
    response = client.get(
        reverse("engagement:dashboards"), QUERY | {"account": world.x.pk, "format": "csv"}
    )
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


# --- Pages: bad filters -----------------------------------------------------------------------------

NO_STYLE = {"engagement:dashboard_inbox", "engagement:dashboard_audience"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2024-13-45"}, "“2024-13-45” is not a date: use the form YYYY-MM-DD"),
        ({"to": "yesterday"}, "“yesterday” is not a date"),
        ({"to": "03/10/2024"}, "“03/10/2024” is not a date"),
        (
            {"from": "2024-03-10", "to": "2024-03-01"},
            "The end date must not be before the start date.",
        ),
        ({"from": "2022-01-01", "to": "2024-03-01"}, "Choose a period of at most 366 days."),
        (
            {"from": "0001-01-01", "to": "0001-01-02"},
            "Choose a date between 2000-01-01 and 2099-12-31.",
        ),
        (
            {"from": "2024-03-01", "to": "9999-12-31"},
            "Choose a date between 2000-01-01 and 2099-12-31.",
        ),
        ({"platform": "myspace"}, "Select a valid choice"),
        ({"style": "poem"}, "Select a valid choice"),
        ({"account": "abc"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_form_errors_not_crashes(cast, world, login, query, message):
    client = login(cast.analyst)
    # The inbox and audience have no style filter (a style there is ignored).
    pages = [p for p in PAGES if "style" not in query or p not in NO_STYLE]
    for name in pages:
        response = client.get(reverse(name), query)
        assert response.status_code == 400, name
        text = page(response)
        assert message in text, name
        assert 'aria-invalid="true"' in text
        assert "Correct the filters above" in text


def test_bad_dates_on_the_detail_pages_are_form_errors(cast, world, login):
    client = login(cast.analyst)
    for url in detail_urls(world):
        response = client.get(url, {"from": "2024-02-30"})
        assert response.status_code == 400, url
        assert "“2024-02-30” is not a date" in page(response)


def test_one_date_is_enough(cast, world, login):
    client = login(cast.analyst)
    period = client.get(reverse("engagement:dashboards"), {"to": "2024-03-10"}).context["period"]
    assert (period.start_date, period.end_date) == (dt.date(2024, 2, 12), dt.date(2024, 3, 10))


# --- Pages: cost ------------------------------------------------------------------------------------


def test_query_counts_do_not_grow_with_the_rows(
    cast, world, inbox_world, login, django_assert_max_num_queries
):
    client = login(cast.analyst)
    busy = make_post(cast.officer, [(world.x, 1, 1)], when=at(2024, 3, 1, 9))
    busy_target = PostTarget.objects.get(post=busy)
    MetricSnapshot.objects.create(
        target=busy_target, agency=cast.agency, taken_at=at(2024, 3, 1, 10), impressions=1
    )
    urls = all_urls(world) + [reverse("engagement:dashboard_post", args=[busy.pk])]
    requests = [(url, QUERY) for url in urls] + [(url, QUERY | {"format": "csv"}) for url in urls]
    baseline = []
    for url, query in requests:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        baseline.append(len(queries))
        assert len(queries) <= 20, url

    # Many more accounts, posts, curve points, snapshots, conversations and messages.
    accounts = [make_account(cast.agency, "x", f"extra{i}") for i in range(3)]
    for i in range(40):
        when = at(2024, 3, 1 + i % 10, i % 24)
        make_post(
            cast.officer,
            [(a, 10 * i, i) for a in accounts],
            when=when,
            style=["narrative", "appeal", "warning"][i % 3],
            campaign=world.campaign if i % 2 else None,
        )
        thread = conversation(world.x, when, answered_after=60 * (i + 1), category="tip")
        message(thread, when, "tip")
        Campaign.objects.create(
            agency=cast.agency,
            name=f"Campaign {i}",
            starts_on=dt.date(2024, 3, 1),
            ends_on=dt.date(2024, 3, 10),
        )
    MetricSnapshot.objects.bulk_create(
        MetricSnapshot(
            target=busy_target,
            agency=cast.agency,
            taken_at=at(2024, 3, 1, 10) + dt.timedelta(minutes=15 * n),
            impressions=n,
        )
        for n in range(1, 100)
    )
    for a in accounts:
        for d in range(1, 11):
            snapshot(a, dt.date(2024, 3, d), 1000 + d, d)
    for (url, query), queries in zip(requests, baseline, strict=True):
        with django_assert_max_num_queries(queries):
            response = client.get(url, query)
            assert response.status_code == 200
            assert response["Content-Type"].startswith(
                "text/csv" if "format" in query else "text/html"
            )


# --- Pages: what people read ------------------------------------------------------------------------


def test_the_heatmap_writes_its_values_in_the_cells(cast, world, login):
    text = page(login(cast.analyst).get(reverse("engagement:dashboard_styles"), QUERY))
    # B: Sunday 10 March 23:30 in London, 120 engagements; the busiest cell is the darkest.
    assert 'class="hot" style="--heat: 1.00"' in text
    assert ">120<span" in text
    assert "Average engagements per post by weekday and hour of publication (Europe/London)" in text


def test_the_audience_page_explains_and_shows_the_flag(cast, login):
    silent = make_account(cast.agency, "x", "silent")
    snapshot(silent, dt.date(2024, 3, 10), 5000, 10)
    text = page(login(cast.analyst).get(reverse("engagement:dashboard_audience"), QUERY))
    assert "at least 1000 followers and fewer than 0.5% of them engaged" in text
    assert "Large silent following" in text
    assert "0.20%" in text


def test_long_tables_are_written_for_people():
    from django.utils import translation
    from django.utils.formats import date_format

    from engagement.views_dashboards import Cells

    with translation.override("en"):
        cells = Cells()
        assert cells.int(1234567) == "1,234,567"
        assert cells.int(None) == "—"
        assert cells.dec(0.2, 2, "%") == "0.20%"
        assert cells.dec(12345.678, 1) == "12,345.7"
        assert cells.day(dt.date(2024, 3, 2)) == "2024-03-02 Sat"
    with translation.override("ko"):
        # The same weekday name as the date filter's "D".
        assert (
            Cells().day(dt.date(2024, 3, 2))
            == f"2024-03-02 {date_format(dt.date(2024, 3, 2), 'D')}"
        )
