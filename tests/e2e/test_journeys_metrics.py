"""Journey 4 of issue 9, the dashboards: an analyst sees the metrics of the post journey b
published.

Nothing is written to Beat's database by the test: publishing created the post's metrics rows
(one per account), beat's `refresh_metrics` (every minute) reads the sandbox's public metrics
through tweepy and pyfacebook, and the analyst watches the curve grow. The stack sets
`BEAT_METRICS_YOUNG_EVERY_SECONDS` to 60: a young post is read every minute instead of every 15
minutes, so a curve appears within a few minutes.

This module's name sorts after test_journeys_inbox.py, so it runs after journeys a-d and 3.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.helpers import needs, wait_until

# Beat's first refresh runs a minute after it starts and then every minute: two readings of
# both accounts within about three minutes of publishing. Generous, as the machine is shared.
READINGS_GRACE_S = 300
READINGS = re.compile(r":\s*(\d+)\s+readings?")


def test_analyst_sees_the_post_metrics_chart(new_page, shot, story, stack):
    post_id = needs(story, "post_id", "The officer's journey (a)")
    post_text = needs(story, "post_text", "The officer's journey (a)")
    needs(story, "published", "The supervisor's journey (b)")
    page = new_page("analyst")

    # The overview: the period's figures, with the new post among the top posts.
    page.goto("/dashboards/")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    link = page.locator(f'a[href="/dashboards/posts/{post_id}/"]')
    expect(link).to_have_count(1)
    expect(link).to_contain_text(post_text[:40])
    assert page.locator("canvas[data-chart-drawn]").count() >= 1, "the overview drew no chart"
    shot(page, "analyst dashboards overview")

    # The post's own page: its curves fill as beat reads the sandbox every minute.
    link.click()
    expect(page.get_by_role("heading", name="Post metrics")).to_be_visible()
    summaries = page.locator("details summary")

    def two_readings_each() -> bool:
        counts = [READINGS.search(t) for t in summaries.all_inner_texts()]
        return len(counts) == 2 and all(c and int(c.group(1)) >= 2 for c in counts)

    wait_until(
        page,
        shot,
        stack,
        "two metric readings of the post on both accounts",
        two_readings_each,
        READINGS_GRACE_S,
        "Beat's refresh_metrics runs every minute (see the worker and beat logs).",
    )
    for name in ("chart-impressions", "chart-engagements"):
        expect(page.locator(f'canvas[data-chart="{name}"][data-chart-drawn="1"]')).to_have_count(1)
    latest = page.locator("#targets-title + table tbody tr")
    expect(latest).to_have_count(2)
    impressions = [
        int(re.sub(r"\D", "", t) or 0) for t in latest.locator("td.num").all_inner_texts()[::2]
    ]
    assert any(n > 0 for n in impressions), f"no impressions read yet: {impressions}"
    shot(page, "analyst post metrics chart")
