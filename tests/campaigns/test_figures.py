"""Goal arithmetic, and the figures the campaign pages and the analytics dashboards read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import PlatformAccount
from campaigns.figures import campaign_figures, cumulative, goal_progress, goal_value
from campaigns.selectors import best_posts, campaign_timeline, top_contributors
from tests.campaigns.conftest import make_campaign
from tests.campaigns.figures_support import public_use, published_post

FIGURES = {"impressions": 12000, "engagements": 340, "public_uses": 45}


@pytest.mark.parametrize(
    ("kind", "value"), [("reach", 12000), ("engagements", 340), ("public_uses", 45)]
)
def test_each_goal_is_measured_by_its_own_figure(kind, value):
    assert goal_value(kind, **FIGURES) == value


def test_an_unknown_goal_is_refused():
    with pytest.raises(ValueError):
        goal_value("followers", **FIGURES)


def test_progress_towards_a_target():
    progress = goal_progress("public_uses", 60, **FIGURES)
    assert progress.value == 45 and progress.target == 60
    assert progress.percent == 75.0
    assert progress.bar_value == 45 and progress.remaining == 15 and not progress.reached


def test_percent_rounds_down_so_100_means_reached():
    assert goal_progress("public_uses", 3, **{**FIGURES, "public_uses": 2}).percent == 66.6
    almost = goal_progress("reach", 10000, **{**FIGURES, "impressions": 9999})
    assert almost.percent == 99.9 and not almost.reached
    exact = goal_progress("reach", 10000, **{**FIGURES, "impressions": 10000})
    assert exact.percent == 100.0 and exact.reached and exact.remaining == 0


def test_passing_the_target_shows_over_100_with_a_full_bar():
    progress = goal_progress("engagements", 200, **FIGURES)
    assert progress.percent == 170.0 and progress.reached
    assert progress.bar_value == 200 and progress.remaining == 0


@pytest.mark.parametrize("target", [None, 0])
def test_without_a_target_there_is_no_percentage(target):
    progress = goal_progress("public_uses", target, **FIGURES)
    assert progress.percent is None and progress.target is None and progress.value == 45
    assert not progress.reached


def test_cumulative_totals():
    assert cumulative([0, 3, 0, 2]) == [0, 3, 3, 5]
    assert cumulative([]) == []


@pytest.fixture
def x_account(cast):
    return PlatformAccount.objects.create(
        agency=cast.agency, platform="x", handle="@alphapolice", external_id="x-1"
    )


@pytest.fixture
def fb_page(cast):
    return PlatformAccount.objects.create(
        agency=cast.agency, platform="facebook", handle="Alpha Police", external_id="fb-1"
    )


def test_campaign_figures_add_up_posts_metrics_and_public_uses(cast, other, x_account, fb_page):
    reach = make_campaign(cast, name="Reach", goal_kind="reach", goal_target=10000)
    uses = make_campaign(cast, name="Uses", hashtags="#부산경찰", goal_kind="public_uses")
    post = published_post(cast, reach, x_account, impressions=4000, engagements=120)
    # The same post on the page: one post, both targets' figures.
    published_post(cast, reach, fb_page, impressions=1000, engagements=30)
    from posts.models import PostTarget

    PostTarget.objects.filter(post__campaign=reach, account=fb_page).update(post=post)
    published_post(cast, None, x_account, impressions=99999, engagements=9999)  # no campaign
    for n in range(3):
        public_use(uses, n, author="a" if n < 2 else "b")
    theirs = make_campaign(other, name="Theirs", by=other.admin)

    figures = campaign_figures(agency=cast.agency, campaign_ids=[reach.pk, uses.pk, theirs.pk])

    assert set(figures) == {reach.pk, uses.pk}  # another agency's campaign is left out
    assert figures[reach.pk] == {
        "posts": 1,
        "impressions": 5000,
        "engagements": 150,
        "public_uses": 0,
        "public_authors": 0,
        "goal_kind": "reach",
        "goal_target": 10000,
        "goal_value": 5000,
        "goal_percent": 50.0,
        "goal_reached": False,
    }
    assert figures[uses.pk]["public_uses"] == 3
    assert figures[uses.pk]["public_authors"] == 2
    assert figures[uses.pk]["goal_value"] == 3 and figures[uses.pk]["goal_percent"] == 6.0
    assert campaign_figures(agency=other.agency, campaign_ids=[reach.pk]) == {}
    assert campaign_figures(agency=cast.agency, campaign_ids=[]) == {}


def test_campaign_figures_cost_the_same_queries_for_one_or_many_campaigns(cast, x_account):
    campaigns = [make_campaign(cast, name=f"C{n}") for n in range(6)]
    for c in campaigns:
        published_post(cast, c, x_account, impressions=10, engagements=1)
        public_use(c, 1)
    with CaptureQueriesContext(connection) as one:
        campaign_figures(agency=cast.agency, campaign_ids=[campaigns[0].pk])
    with CaptureQueriesContext(connection) as many:
        figures = campaign_figures(agency=cast.agency, campaign_ids=[c.pk for c in campaigns])
    assert len(many) == len(one) == 4
    assert all(f["posts"] == 1 and f["public_uses"] == 1 for f in figures.values())


def test_timeline_counts_posts_and_uses_per_day_in_the_agency_time_zone(cast, x_account):
    today = timezone.localdate()
    campaign = make_campaign(
        cast, starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=5)
    )
    now = timezone.now()
    published_post(cast, campaign, x_account, impressions=100, engagements=5, at=now)
    for n in range(3):
        public_use(campaign, n, at=now - timedelta(days=1))

    timeline = campaign_timeline(campaign=campaign)

    # The days so far, not the days still to come.
    assert timeline["days"] == [today - timedelta(days=d) for d in (2, 1, 0)]
    assert timeline["posts"] == [0, 0, 1]
    assert timeline["uses"] == [0, 3, 0]
    assert timeline["goal"] == timeline["uses"]  # the goal is public uses


def test_top_contributors_and_best_posts(cast, x_account):
    campaign = make_campaign(cast)
    for n in range(3):
        public_use(campaign, n, author="regular")
    public_use(campaign, 10, author="once")
    weak = published_post(cast, campaign, x_account, impressions=5000, engagements=10)
    strong = published_post(cast, campaign, x_account, impressions=1000, engagements=90)

    people = top_contributors(campaign=campaign)
    posts = best_posts(campaign=campaign)

    assert [(p["handle"], p["uses"]) for p in people] == [("regular", 3), ("once", 1)]
    assert people[0]["engagements"] == 0 + 1 + 2
    assert [p["post_id"] for p in posts] == [strong.pk, weak.pk]
    assert posts[0]["rate"] == 9.0 and posts[1]["rate"] == 0.2


def test_people_without_a_platform_id_are_told_apart_by_their_handle(cast):
    campaign = make_campaign(cast)
    for n, handle in enumerate(["kim", "kim", "lee"]):
        use = public_use(campaign, n, author=handle)
        use.public_post.author_external_id = ""
        use.public_post.save(update_fields=["author_external_id"])

    people = top_contributors(campaign=campaign)

    assert [(p["handle"], p["uses"]) for p in people] == [("kim", 2), ("lee", 1)]
    assert (
        campaign_figures(agency=cast.agency, campaign_ids=[campaign.pk])[campaign.pk][
            "public_authors"
        ]
        == 2
    )
