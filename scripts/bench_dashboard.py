"""`make bench-dashboard`: every analyst dashboard page against the seed-scale data.

Each page is rendered ROUNDS times (after warm-up rounds) through Django's test client, in this
process, with DEBUG off: URL routing, middleware, the session, the selectors' queries and the
template, as the analyst of the large agency sees it, with the default filters (the last 28
days). In the same run, the page's main aggregate is timed as one raw SQL query on the same
connection: the floor the page is compared with (`ratio` = page p95 / raw p95).

A line per page, then the last line:
    bench-dashboard: pages=K worst_p95_ms=.. worst_page=.. worst_ratio=..
Target: every page's p95 at most 300 ms. Exits 1 when a page misses it.

Run `make seed-scale` first (`make bench-dashboard` does). DATABASE_URL defaults to the
seed-scale database, beat_scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from benchlib import percentile, say
from seed_scale import ANALYST_EMAIL, DEFAULT_DATABASE_URL, MAIN_SLUG, name_of, setup_django

TARGET_P95_MS = 300.0
PERIOD_DAYS = 28


@dataclass
class Case:
    name: str
    url: str
    raw_sql: str
    params: tuple


@dataclass
class Result:
    case: Case
    p50_ms: float
    p95_ms: float
    raw_p95_ms: float
    queries: int
    bytes: int

    @property
    def ratio(self) -> float:
        return self.p95_ms / self.raw_p95_ms if self.raw_p95_ms > 0 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS") or 40))
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--days", type=int, default=PERIOD_DAYS, help="the period the pages show (default 28)"
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    args = parser.parse_args()
    if args.rounds < 20:
        parser.error("--rounds must be at least 20 for a p95")
    # whitenoise warns that STATIC_ROOT is empty (nothing is collected for a benchmark).
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    setup_django(args.database_url)
    from accounts.models import Agency

    agency = Agency.objects.filter(slug=MAIN_SLUG).first()
    if agency is None:
        say(f"bench-dashboard: {name_of(args.database_url)} is not seeded: run `make seed-scale`")
        return 2
    cases = build_cases(agency, args.days)
    client = login()
    say(
        f"setup: {len(cases)} pages of agency {agency.slug}, {args.rounds} rounds each after "
        f"{args.warmup} warm-up, period {args.days} days, database {name_of(args.database_url)}"
    )
    results = []
    for case in cases:
        result = measure(client, case, args.rounds, args.warmup)
        results.append(result)
        say(
            f"page={case.name} p50_ms={result.p50_ms:.1f} p95_ms={result.p95_ms:.1f} "
            f"raw_p95_ms={result.raw_p95_ms:.1f} ratio={result.ratio:.1f} "
            f"queries={result.queries} kb={result.bytes / 1024:.0f} url={case.url}"
        )
    worst = max(results, key=lambda r: r.p95_ms)
    worst_ratio = max(r.ratio for r in results)
    ok = worst.p95_ms <= TARGET_P95_MS
    if not ok:
        say(f"bench-dashboard: FAILED (target: every page's p95 at most {TARGET_P95_MS:.0f} ms)")
    say(
        f"bench-dashboard: pages={len(results)} worst_p95_ms={worst.p95_ms:.1f} "
        f"worst_page={worst.case.name} worst_ratio={worst_ratio:.1f}"
    )
    return 0 if ok else 1


def login() -> Any:
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=ANALYST_EMAIL))
    return client


def _ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def measure(client: Any, case: Case, rounds: int, warmup: int) -> Result:
    from django.db import connection

    def page() -> int:
        response = client.get(case.url)
        if response.status_code != 200:
            raise RuntimeError(f"{case.url} answered {response.status_code}")
        return len(response.content)

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute(case.raw_sql, case.params)
            cur.fetchall()

    # Counted with an execute wrapper: the test client's request_started signal empties
    # connection.queries, so CaptureQueriesContext would count nothing.
    queries: list[str] = []

    def count(execute: Callable, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        size = page()
    # Interleaved, so that whatever else the machine does falls on both alike.
    page_ms: list[float] = []
    raw_ms: list[float] = []
    for _ in range(warmup):
        page()
        raw()
    for _ in range(rounds):
        page_ms.append(_ms(page))
        raw_ms.append(_ms(raw))
    return Result(
        case=case,
        p50_ms=statistics.median(page_ms),
        p95_ms=percentile(sorted(page_ms), 95),
        raw_p95_ms=percentile(sorted(raw_ms), 95),
        queries=len(queries),
        bytes=size,
    )


def build_cases(agency: Any, days: int) -> list[Case]:
    """The pages, with the default period, and each one's main aggregate in raw SQL."""
    from django.urls import reverse
    from django.utils import timezone

    from campaigns.models import Campaign
    from engagement.models import TargetMetrics

    tz = agency.timezone
    today = timezone.now().astimezone(agency.tzinfo).date()
    first = today - timedelta(days=days - 1)
    query = "" if days == PERIOD_DAYS else f"?from={first:%Y-%m-%d}&to={today:%Y-%m-%d}"
    start = datetime.combine(first, datetime.min.time(), tzinfo=agency.tzinfo)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=agency.tzinfo)
    period = (agency.pk, start, end)
    account_id = (
        TargetMetrics.objects.filter(agency=agency)
        .order_by("account_id")
        .values_list("account_id", flat=True)[:1][0]
    )
    # A post of three days ago with two targets: two curves of many points.
    post_id = (
        TargetMetrics.objects.filter(
            agency=agency, published_at__lt=timezone.now() - timedelta(days=3)
        )
        .order_by("-published_at")
        .values_list("post_id", flat=True)
    )
    post_id = next(
        pid for pid in post_id[:20] if TargetMetrics.objects.filter(post_id=pid).count() > 1
    )
    campaign_ids = tuple(
        Campaign.objects.filter(
            agency=agency, ends_on__gte=first, starts_on__lte=today
        ).values_list("pk", flat=True)
    ) or (0,)
    return [
        Case(
            "overview",
            reverse("engagement:dashboards") + query,
            # This period and the one before it, in one pass.
            "SELECT count(DISTINCT post_id) FILTER (WHERE published_at >= %s), "
            "sum(impressions) FILTER (WHERE published_at >= %s), "
            "sum(engagements) FILTER (WHERE published_at >= %s), "
            "count(DISTINCT post_id) FILTER (WHERE published_at < %s), "
            "sum(impressions) FILTER (WHERE published_at < %s), "
            "sum(engagements) FILTER (WHERE published_at < %s) "
            "FROM engagement_targetmetrics "
            "WHERE agency_id = %s AND published_at >= %s AND published_at < %s",
            (*[start] * 6, agency.pk, start - (end - start), end),
        ),
        Case(
            "account",
            reverse("engagement:dashboard_account", args=[account_id]) + query,
            "SELECT date_trunc('day', published_at AT TIME ZONE %s), count(DISTINCT post_id), "
            "sum(impressions), sum(engagements) FROM engagement_targetmetrics "
            "WHERE account_id = %s AND published_at >= %s AND published_at < %s GROUP BY 1",
            (tz, account_id, start, end),
        ),
        Case(
            "post",
            reverse("engagement:dashboard_post", args=[post_id]),
            "SELECT s.target_id, s.taken_at, s.impressions, "
            "s.likes + s.replies + s.shares + s.quotes FROM engagement_metricsnapshot s "
            "JOIN engagement_targetmetrics t ON t.target_id = s.target_id "
            "WHERE t.post_id = %s AND t.agency_id = %s ORDER BY s.target_id, s.taken_at",
            (post_id, agency.pk),
        ),
        Case(
            "styles",
            reverse("engagement:dashboard_styles") + query,
            "SELECT style, extract(isodow FROM published_at AT TIME ZONE %s), "
            "extract(hour FROM published_at AT TIME ZONE %s), count(DISTINCT post_id), "
            "sum(impressions), sum(engagements) FROM engagement_targetmetrics "
            "WHERE agency_id = %s AND published_at >= %s AND published_at < %s "
            "GROUP BY 1, 2, 3",
            (tz, tz, *period),
        ),
        Case(
            "inbox",
            reverse("engagement:dashboard_inbox") + query,
            "SELECT date_trunc('day', created_at AT TIME ZONE %s), category, count(*) "
            "FROM engagement_message WHERE agency_id = %s AND direction = 'inbound' "
            "AND created_at >= %s AND created_at < %s GROUP BY 1, 2",
            (tz, *period),
        ),
        Case(
            "campaigns",
            reverse("engagement:dashboard_campaigns") + query,
            "SELECT p.campaign_id, count(DISTINCT t.post_id), sum(t.impressions), "
            "sum(t.engagements) FROM engagement_targetmetrics t "
            "JOIN posts_post p ON p.id = t.post_id "
            "WHERE t.agency_id = %s AND t.published_at >= %s AND t.published_at < %s "
            "AND p.campaign_id IN %s GROUP BY 1",
            (*period, campaign_ids),
        ),
        Case(
            "audience",
            reverse("engagement:dashboard_audience") + query,
            "SELECT account_id, taken_on, followers, engaged_people "
            "FROM engagement_accountsnapshot WHERE agency_id = %s "
            "AND taken_on >= %s AND taken_on <= %s ORDER BY account_id, taken_on",
            (agency.pk, first, today),
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
