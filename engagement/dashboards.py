"""Analyst dashboards: reads scoped to one agency, and the arithmetic behind their figures.

Every selector takes the agency and a `Filters` (a period in the agency's time zone, and an
optional account, platform and style) and returns plain dataclasses. The figures are
aggregated in the database, a few GROUP BY queries per page, never by loading rows:

- `TargetMetrics`, the rollup (one row per published target: its latest figures, style,
  account and publication time), through its (agency, published_at) index;
- `Conversation` through (agency, first_inbound_at) and `Message` through (agency, created_at)
  for the inbox;
- `AccountSnapshot` (one row per account and day) for followers and engaged people, one
  indexed look-up per account and date through its unique (account, taken_on).

`MetricSnapshot` (the history: millions of rows) is read only for one post's curves, through
its (target, taken_at) index.

Definitions, pinned by tests/engagement/test_dashboards_arithmetic.py on fixed numbers:

- A period is [from, to]: whole days in the agency's time zone, from 00:00 on `from` up to,
  not including, 00:00 on the day after `to`. The previous period has the same number of days
  and ends on the day before `from`.
- Posts: distinct posts with a target published in the period (TargetMetrics.published_at).
  Impressions and engagements: sums of those targets' latest figures (engagements = likes +
  replies + shares + quotes, see TargetMetrics).
- Followers at the period end: for each account in scope, its latest AccountSnapshot taken on
  or before `to`, summed over the accounts; None when no account in scope has one.
- Followers at the period start: the same on the day before `from` (the previous period's
  end); an account first measured inside the period counts from its first snapshot there.
  Follower growth = followers at the end - followers at the start, and that as a percent of
  the start (None when the start is 0 or unknown).
- Engagement rate = engagements / followers at the period end x 100 (a percent; None when no
  followers are known). Per style and per campaign the same, over the same followers.
- Change against the previous period = current - previous, and that as a percent of the
  previous (None when the previous is 0 or unknown).
- Inbox volume: inbound messages (direction "inbound") created in the period, by category
  (the message's own triage category) and by day.
- First-response time p50 / p90: Conversation.first_response_seconds of the conversations
  started in the period (first_inbound_at) that were answered; percentiles by linear
  interpolation between the closest ranks, exactly as PostgreSQL's percentile_cont (computed
  there in the query, in Python on SQLite: `percentile`).
- Answered within target: of the conversations started in the period that have a due time
  (response_due_at), those whose due time has passed or that were answered are counted (the
  ones still open before their due time cannot have missed it yet); the share is those with
  first_response_at <= response_due_at over that count, as a percent.
- Heatmap: targets published in the period by weekday and hour of publication in the
  agency's time zone; each cell is engagements / distinct posts in that cell.
- Large silent following: an account is flagged when, at its latest snapshot in the period,
  it has at least SILENT_FOLLOWING_MIN_FOLLOWERS followers and the people who engaged
  with it in the 30 days before (AccountSnapshot.engaged_people) are fewer than
  SILENT_FOLLOWING_MAX_ENGAGED_PCT percent of them: typical of followers that were bought or
  collected at random, who never read or answer.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, PlatformAccount
from campaigns.models import Campaign, GoalKind
from engagement.models import (
    AccountSnapshot,
    Category,
    Conversation,
    Direction,
    Message,
    MetricSnapshot,
    TargetMetrics,
)
from posts.models import Post, PostStyle
from posts.selectors import post_get

# An account with at least this many followers ...
SILENT_FOLLOWING_MIN_FOLLOWERS = 1000
# ... of whom fewer than this percent engaged in the last 30 days is flagged.
SILENT_FOLLOWING_MAX_ENGAGED_PCT = 0.5

DEFAULT_PERIOD_DAYS = 28
# A longer period reads too many rows for a page that must answer in well under a second.
MAX_PERIOD_DAYS = 366
TOP_POSTS = 10

ENGAGEMENTS = F("likes") + F("replies") + F("shares") + F("quotes")


# --- Arithmetic: small pure functions, tested on fixed numbers ------------------------------


@dataclass(frozen=True)
class Change:
    """A difference, absolute and as a percent of the base (None when the base is 0 or unknown)."""

    absolute: float | None
    percent: float | None

    @property
    def sign(self) -> str:
        if not self.absolute:
            return "same"
        return "up" if self.absolute > 0 else "down"


def change(current: float | None, previous: float | None) -> Change:
    """Current against previous: current - previous, and that as a percent of previous."""
    if current is None or previous is None:
        return Change(None, None)
    absolute = current - previous
    return Change(absolute, absolute / previous * 100 if previous else None)


def growth(start: float | None, end: float | None) -> Change:
    """Follower growth over a period: end - start, and that as a percent of start."""
    return change(end, start)


def engagement_rate(engagements: float | None, followers: float | None) -> float | None:
    """Engagements as a percent of followers; None when no followers are known (or zero)."""
    if engagements is None or not followers:
        return None
    return engagements / followers * 100


def per_post(total: float | None, posts: int) -> float | None:
    return None if not posts or total is None else total / posts


def share(part: int, whole: int) -> float | None:
    """part / whole as a percent; None when there is nothing to divide."""
    return part / whole * 100 if whole else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile of `values` (sorted), interpolated linearly between the closest
    ranks: the same definition as PostgreSQL's percentile_cont. None for no values."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def silent_following(followers: int | None, engaged_people: int | None) -> bool:
    """A large following of which almost nobody engages (see the module docstring)."""
    if not followers or followers < SILENT_FOLLOWING_MIN_FOLLOWERS:
        return False
    return (engaged_people or 0) / followers * 100 < SILENT_FOLLOWING_MAX_ENGAGED_PCT


def format_duration(seconds: float | None) -> str:
    """A response time for people: '45 s', '12 min', '3 h 05 min', '2 d 4 h'; '—' for none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return _("%(s)d s") % {"s": total}
    minutes = round(total / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


# --- Periods and filters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days [start_date, end_date] in a time zone; `start`/`end` bound it as instants,
    the end exclusive (00:00 on the day after end_date)."""

    start_date: dt.date
    end_date: dt.date
    tz: zoneinfo.ZoneInfo

    @classmethod
    def ending(
        cls, tz: zoneinfo.ZoneInfo, end_date: dt.date | None = None, days: int = DEFAULT_PERIOD_DAYS
    ) -> Period:
        """`days` days ending on `end_date` (default: today in `tz`)."""
        end_date = end_date or timezone.localdate(timezone=tz)
        return cls(end_date - dt.timedelta(days=days - 1), end_date, tz)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.start_date, dt.time.min, tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(
            self.end_date + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz
        )

    def dates(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Period:
        """The same number of days, ending the day before this one starts."""
        return Period.ending(self.tz, self.start_date - dt.timedelta(days=1), self.days)


@dataclass(frozen=True)
class Filters:
    period: Period
    account_id: int | None = None
    platform: str | None = None
    style: str | None = None


def _metrics(agency: Agency, filters: Filters, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """The rollup rows of targets published in [start, end), through (agency, published_at)."""
    qs = TargetMetrics.objects.filter(agency=agency, published_at__gte=start, published_at__lt=end)
    if filters.account_id is not None:
        qs = qs.filter(account_id=filters.account_id)
    if filters.platform:
        qs = qs.filter(platform=filters.platform)
    if filters.style:
        qs = qs.filter(style=filters.style)
    return qs.order_by()


def _accounts(agency: Agency, filters: Filters) -> QuerySet[PlatformAccount]:
    qs = PlatformAccount.objects.filter(agency=agency)
    if filters.account_id is not None:
        qs = qs.filter(pk=filters.account_id)
    if filters.platform:
        qs = qs.filter(platform=filters.platform)
    # Never the credentials: the dashboards need the name only.
    return qs.only("pk", "platform", "handle").order_by("platform", "handle", "pk")


def _sums(*, prefix: str = "", where: Q | None = None, distinct: bool = True) -> dict:
    """Posts, impressions and engagements of rollup rows, as aggregates named n_* (the fields'
    own names cannot be reused). `distinct=False` counts rows: right when the rows cannot hold
    two targets of one post (one account)."""
    posts = Count("post_id", distinct=True, filter=where) if distinct else Count("pk", filter=where)
    return {
        f"{prefix}n_posts": posts,
        f"{prefix}n_impressions": Sum("impressions", filter=where, default=0),
        f"{prefix}n_engagements": Sum("engagements", filter=where, default=0),
    }


def style_label(style: str) -> str:
    return str(dict(PostStyle.choices).get(style, style))


def _sum_known(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


# --- Followers at the ends of a period --------------------------------------------------------


@dataclass
class AccountFollowers:
    account_id: int
    label: str
    handle: str
    platform: str
    start: int | None
    end: int | None
    previous_start: int | None
    previous_end: int | None


def _followers(agency: Agency, filters: Filters) -> list[AccountFollowers]:
    """Each account in scope with its followers at the start and end of the period and of the
    previous one: one query, four indexed look-ups per account (accounts are few)."""
    period = filters.period
    previous = period.previous()
    snapshots = AccountSnapshot.objects.filter(account=OuterRef("pk")).order_by()

    def on_or_before(day: dt.date) -> Subquery:
        latest = snapshots.filter(taken_on__lte=day).order_by("-taken_on")
        return Subquery(latest.values("followers")[:1])

    def first_within(p: Period) -> Subquery:
        first = snapshots.filter(taken_on__gte=p.start_date, taken_on__lte=p.end_date)
        return Subquery(first.order_by("taken_on").values("followers")[:1])

    day_before = dt.timedelta(days=1)
    rows = _accounts(agency, filters).annotate(
        f_end=on_or_before(period.end_date),
        f_start=Coalesce(on_or_before(period.start_date - day_before), first_within(period)),
        f_prev_end=on_or_before(previous.end_date),
        f_prev_start=Coalesce(
            on_or_before(previous.start_date - day_before), first_within(previous)
        ),
    )
    return [
        AccountFollowers(
            account_id=a.pk,
            label=str(a),
            handle=a.handle,
            platform=a.platform,
            start=a.f_start,
            end=a.f_end,
            previous_start=a.f_prev_start,
            previous_end=a.f_prev_end,
        )
        for a in rows
    ]


# --- Overview (also the per-account page) -----------------------------------------------------


@dataclass
class Figures:
    posts: int = 0
    impressions: int = 0
    engagements: int = 0
    followers_start: int | None = None
    followers_end: int | None = None

    @property
    def follower_growth(self) -> Change:
        return growth(self.followers_start, self.followers_end)

    @property
    def engagement_rate(self) -> float | None:
        return engagement_rate(self.engagements, self.followers_end)


@dataclass
class AccountLine:
    account_id: int
    label: str
    platform: str
    figures: Figures


@dataclass
class DayLine:
    day: dt.date
    posts: int
    impressions: int
    engagements: int
    previous_day: dt.date
    previous_engagements: int
    previous_impressions: int


@dataclass
class TopPost:
    post_id: int
    text: str
    style: str
    style_label: str
    first_published_at: dt.datetime
    targets: int
    impressions: int
    engagements: int


@dataclass
class Overview:
    filters: Filters
    current: Figures
    previous: Figures
    accounts: list[AccountLine]
    days: list[DayLine]
    top_posts: list[TopPost]

    @property
    def period(self) -> Period:
        return self.filters.period

    @property
    def previous_period(self) -> Period:
        return self.filters.period.previous()

    @property
    def changes(self) -> dict[str, Change]:
        c, p = self.current, self.previous
        return {
            "posts": change(c.posts, p.posts),
            "impressions": change(c.impressions, p.impressions),
            "engagements": change(c.engagements, p.engagements),
            "engagement_rate": change(c.engagement_rate, p.engagement_rate),
            "followers": change(c.followers_end, p.followers_end),
            "follower_growth": change(c.follower_growth.absolute, p.follower_growth.absolute),
        }

    @property
    def has_metrics(self) -> bool:
        return bool(self.current.posts or self.previous.posts)

    @property
    def has_followers(self) -> bool:
        return self.current.followers_end is not None


def overview(*, agency: Agency, filters: Filters) -> Overview:
    """The agency's figures over the period against the previous one, per account, per day
    (of publication) and its top posts. Five queries whatever the number of posts."""
    period, previous = filters.period, filters.period.previous()
    current_q, previous_q = Q(published_at__gte=period.start), Q(published_at__lt=period.start)
    both = _metrics(agency, filters, previous.start, period.end)

    totals = both.aggregate(**_sums(where=current_q), **_sums(prefix="p_", where=previous_q))
    followers = _followers(agency, filters)
    current = Figures(
        posts=totals["n_posts"],
        impressions=totals["n_impressions"],
        engagements=totals["n_engagements"],
        followers_start=_sum_known(a.start for a in followers),
        followers_end=_sum_known(a.end for a in followers),
    )
    prior = Figures(
        posts=totals["p_n_posts"],
        impressions=totals["p_n_impressions"],
        engagements=totals["p_n_engagements"],
        followers_start=_sum_known(a.previous_start for a in followers),
        followers_end=_sum_known(a.previous_end for a in followers),
    )

    # One target per account and post (PostTarget's unique constraint): rows count posts.
    per_account = {
        row["account_id"]: row
        for row in _metrics(agency, filters, period.start, period.end)
        .values("account_id")
        .annotate(**_sums(distinct=False))
    }
    accounts = []
    for a in followers:
        row = per_account.get(a.account_id, {})
        accounts.append(
            AccountLine(
                account_id=a.account_id,
                label=a.label,
                platform=a.platform,
                figures=Figures(
                    posts=row.get("n_posts", 0),
                    impressions=row.get("n_impressions", 0),
                    engagements=row.get("n_engagements", 0),
                    followers_start=a.start,
                    followers_end=a.end,
                ),
            )
        )

    by_day = {
        row["day"]: row
        for row in both.annotate(day=TruncDate("published_at", tzinfo=period.tz))
        .values("day")
        .annotate(**_sums())
    }
    days = []
    for day, previous_day in zip(period.dates(), previous.dates(), strict=True):
        row, prow = by_day.get(day, {}), by_day.get(previous_day, {})
        days.append(
            DayLine(
                day=day,
                posts=row.get("n_posts", 0),
                impressions=row.get("n_impressions", 0),
                engagements=row.get("n_engagements", 0),
                previous_day=previous_day,
                previous_impressions=prow.get("n_impressions", 0),
                previous_engagements=prow.get("n_engagements", 0),
            )
        )

    return Overview(
        filters=filters,
        current=current,
        previous=prior,
        accounts=accounts,
        days=days,
        top_posts=top_posts(agency=agency, filters=filters),
    )


def top_posts(*, agency: Agency, filters: Filters, limit: int = TOP_POSTS) -> list[TopPost]:
    """The period's posts with the most engagements (all their targets together)."""
    period = filters.period
    rows = list(
        _metrics(agency, filters, period.start, period.end)
        .values("post_id")
        .annotate(targets=Count("pk"), first=Min("published_at"), **_sums(distinct=False))
        .order_by("-n_engagements", "-n_impressions", "post_id")[:limit]
    )
    posts = {
        pk: (body, style)
        for pk, body, style in Post.objects.filter(
            agency=agency, pk__in=[r["post_id"] for r in rows]
        ).values_list("pk", "body", "style")
    }
    result = []
    for r in rows:
        body, style = posts.get(r["post_id"], ("", ""))
        result.append(
            TopPost(
                post_id=r["post_id"],
                text=body,
                style=style,
                style_label=style_label(style),
                first_published_at=r["first"],
                targets=r["targets"],
                impressions=r["n_impressions"],
                engagements=r["n_engagements"],
            )
        )
    return result


def account_get(*, agency: Agency, account_id: int) -> PlatformAccount:
    """One connected account of this agency; 404 for another agency's."""
    return get_object_or_404(PlatformAccount, agency=agency, pk=account_id)


# --- One post's curves ------------------------------------------------------------------------


@dataclass
class CurvePoint:
    taken_at: dt.datetime
    hours: float
    impressions: int
    likes: int
    replies: int
    shares: int
    quotes: int
    engagements: int


@dataclass
class CurveLine:
    target_id: int
    account_id: int
    label: str
    platform: str
    published_at: dt.datetime
    impressions: int
    engagements: int
    measured_at: dt.datetime | None
    points: list[CurvePoint] = field(default_factory=list)


@dataclass
class PostCurves:
    post: Post
    lines: list[CurveLine]

    @property
    def has_points(self) -> bool:
        return any(line.points for line in self.lines)


def post_curves(
    *,
    agency: Agency,
    post_id: int,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> PostCurves:
    """Impressions and engagements of each target of one post over time (404 for another
    agency's post). The only reader of MetricSnapshot, through its (target, taken_at) index;
    `start`/`end` optionally narrow the snapshots to a window."""
    post = post_get(agency=agency, post_id=post_id)
    targets = (
        TargetMetrics.objects.filter(agency=agency, post=post)
        .select_related("account")
        .order_by("platform", "account__handle", "pk")
    )
    lines = {
        t.pk: CurveLine(
            target_id=t.pk,
            account_id=t.account_id,
            label=str(t.account),
            platform=t.platform,
            published_at=t.published_at,
            impressions=t.impressions,
            engagements=t.engagements,
            measured_at=t.measured_at,
        )
        for t in targets
    }
    snapshots = MetricSnapshot.objects.filter(agency=agency, target_id__in=list(lines))
    if start is not None:
        snapshots = snapshots.filter(taken_at__gte=start)
    if end is not None:
        snapshots = snapshots.filter(taken_at__lt=end)
    values = snapshots.order_by("target_id", "taken_at").values_list(
        "target_id", "taken_at", "impressions", "likes", "replies", "shares", "quotes"
    )
    for target_id, taken_at, impressions, likes, replies, shares, quotes in values:
        line = lines[target_id]
        line.points.append(
            CurvePoint(
                taken_at=taken_at,
                hours=(taken_at - line.published_at).total_seconds() / 3600,
                impressions=impressions,
                likes=likes,
                replies=replies,
                shares=shares,
                quotes=quotes,
                engagements=likes + replies + shares + quotes,
            )
        )
    return PostCurves(post=post, lines=list(lines.values()))


# --- By style, and when to post ----------------------------------------------------------------


@dataclass
class StyleLine:
    style: str
    label: str
    posts: int
    impressions: int
    engagements: int
    avg_impressions: float | None
    avg_engagements: float | None
    engagement_rate: float | None


@dataclass
class HeatCell:
    hour: int
    posts: int
    engagements: int
    avg_engagements: float | None
    # 0..1: the cell's average against the busiest cell's, for its colour.
    level: float


@dataclass
class HeatRow:
    weekday: int  # ISO: 1 = Monday ... 7 = Sunday
    cells: list[HeatCell]


@dataclass
class Styles:
    filters: Filters
    lines: list[StyleLine]
    heatmap: list[HeatRow]
    followers_end: int | None

    @property
    def has_metrics(self) -> bool:
        return any(line.posts for line in self.lines)


def styles(*, agency: Agency, filters: Filters) -> Styles:
    """Which style works better (per post, on average), and which hour of which weekday (in
    the agency's time zone). Three queries whatever the number of posts."""
    period = filters.period
    metrics = _metrics(agency, filters, period.start, period.end)
    followers_end = _sum_known(a.end for a in _followers(agency, filters))

    lines = []
    for row in metrics.values("style").annotate(**_sums()).order_by("style"):
        posts, impressions = row["n_posts"], row["n_impressions"]
        engagements = row["n_engagements"]
        avg_engagements = per_post(engagements, posts)
        lines.append(
            StyleLine(
                style=row["style"],
                label=style_label(row["style"]),
                posts=posts,
                impressions=impressions,
                engagements=engagements,
                avg_impressions=per_post(impressions, posts),
                avg_engagements=avg_engagements,
                engagement_rate=engagement_rate(avg_engagements, followers_end),
            )
        )
    lines.sort(key=lambda line: (-(line.avg_engagements or 0), line.label))

    cells = {
        (row["weekday"], row["hour"]): row
        for row in metrics.annotate(
            weekday=ExtractIsoWeekDay("published_at", tzinfo=period.tz),
            hour=ExtractHour("published_at", tzinfo=period.tz),
        )
        .values("weekday", "hour")
        .annotate(**_sums())
    }
    averages = {k: per_post(r["n_engagements"], r["n_posts"]) or 0 for k, r in cells.items()}
    busiest = max(averages.values(), default=0)
    heatmap = []
    for weekday in range(1, 8):
        row_cells = []
        for hour in range(24):
            row = cells.get((weekday, hour))
            avg = per_post(row["n_engagements"], row["n_posts"]) if row else None
            row_cells.append(
                HeatCell(
                    hour=hour,
                    posts=row["n_posts"] if row else 0,
                    engagements=row["n_engagements"] if row else 0,
                    avg_engagements=avg,
                    level=(avg or 0) / busiest if busiest else 0,
                )
            )
        heatmap.append(HeatRow(weekday=weekday, cells=row_cells))
    return Styles(filters=filters, lines=lines, heatmap=heatmap, followers_end=followers_end)


# --- The inbox --------------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(fraction), **extra)


@dataclass
class ResponseStats:
    started: int = 0
    answered: int = 0
    eligible: int = 0
    within_target: int = 0
    p50_seconds: float | None = None
    p90_seconds: float | None = None

    @property
    def within_target_share(self) -> float | None:
        return share(self.within_target, self.eligible)

    @property
    def p50_text(self) -> str:
        return format_duration(self.p50_seconds)

    @property
    def p90_text(self) -> str:
        return format_duration(self.p90_seconds)


@dataclass
class CategoryLine:
    category: str
    label: str
    messages: int
    response: ResponseStats


@dataclass
class InboxDay:
    day: dt.date
    by_category: dict[str, int]
    total: int


@dataclass
class InboxFigures:
    filters: Filters
    categories: list[CategoryLine]
    days: list[InboxDay]
    total_messages: int
    response: ResponseStats

    @property
    def has_messages(self) -> bool:
        return bool(self.total_messages or self.response.started)


def _response_stats(
    conversations: QuerySet[Conversation], now: dt.datetime, by_category: bool
) -> dict[str | None, ResponseStats]:
    """Counts and percentiles of first-response times, for all or per category (one query on
    PostgreSQL; on SQLite a second one reads the answered conversations' seconds)."""
    answered = Q(first_response_at__isnull=False)
    due = Q(response_due_at__isnull=False)
    aggregates = {
        "started": Count("pk"),
        "answered": Count("pk", filter=answered),
        "eligible": Count("pk", filter=due & (Q(response_due_at__lte=now) | answered)),
        "within_target": Count(
            "pk", filter=due & answered & Q(first_response_at__lte=F("response_due_at"))
        ),
    }
    in_sql = connection.vendor == "postgresql"
    if in_sql:
        aggregates["p50"] = PercentileCont("first_response_seconds", 0.5)
        aggregates["p90"] = PercentileCont("first_response_seconds", 0.9)
    if by_category:
        rows = list(conversations.values("category").annotate(**aggregates))
    else:
        rows = [conversations.aggregate(**aggregates)]
    stats: dict[str | None, ResponseStats] = {}
    for row in rows:
        stats[row.get("category")] = ResponseStats(
            started=row["started"],
            answered=row["answered"],
            eligible=row["eligible"],
            within_target=row["within_target"],
            p50_seconds=row.get("p50"),
            p90_seconds=row.get("p90"),
        )
    if not in_sql:
        seconds: dict[str | None, list[int]] = defaultdict(list)
        for category, value in (
            conversations.filter(first_response_seconds__isnull=False)
            .order_by("first_response_seconds")
            .values_list("category", "first_response_seconds")
        ):
            seconds[category if by_category else None].append(value)
        for key, values in seconds.items():
            stats[key].p50_seconds = percentile(values, 0.5)
            stats[key].p90_seconds = percentile(values, 0.9)
    return stats


def inbox(*, agency: Agency, filters: Filters, now: dt.datetime | None = None) -> InboxFigures:
    """Inbound volume by category and day, and first-response times of the conversations
    started in the period (all, and by the conversation's category)."""
    period = filters.period
    now = now or timezone.now()
    messages = Message.objects.filter(
        agency=agency,
        created_at__gte=period.start,
        created_at__lt=period.end,
        direction=Direction.INBOUND,
    )
    conversations = Conversation.objects.filter(
        agency=agency, first_inbound_at__gte=period.start, first_inbound_at__lt=period.end
    )
    if filters.account_id is not None:
        messages = messages.filter(conversation__account_id=filters.account_id)
        conversations = conversations.filter(account_id=filters.account_id)
    if filters.platform:
        messages = messages.filter(platform=filters.platform)
        conversations = conversations.filter(platform=filters.platform)

    counts: dict[tuple[dt.date, str], int] = {
        (row["day"], row["category"]): row["n"]
        for row in messages.order_by()
        .annotate(day=TruncDate("created_at", tzinfo=period.tz))
        .values("day", "category")
        .annotate(n=Count("pk"))
    }
    per_category: dict[str, int] = defaultdict(int)
    for (_day, category), n in counts.items():
        per_category[category] += n
    days = []
    for day in period.dates():
        row = {value: counts.get((day, value), 0) for value, _label in Category.choices}
        days.append(InboxDay(day=day, by_category=row, total=sum(row.values())))

    conversations = conversations.order_by()
    overall = _response_stats(conversations, now, by_category=False).get(None, ResponseStats())
    by_category = _response_stats(conversations, now, by_category=True)
    categories = [
        CategoryLine(
            category=value,
            label=str(label),
            messages=per_category.get(value, 0),
            response=by_category.get(value, ResponseStats()),
        )
        for value, label in Category.choices
    ]
    return InboxFigures(
        filters=filters,
        categories=categories,
        days=days,
        total_messages=sum(per_category.values()),
        response=overall,
    )


# --- Campaigns side by side -------------------------------------------------------------------


@dataclass
class CampaignLine:
    campaign_id: int
    name: str
    hashtags: str
    starts_on: dt.date
    ends_on: dt.date
    posts: int
    impressions: int
    engagements: int
    avg_engagements: float | None
    engagement_rate: float | None
    # Public hashtag uses and goal progress, from campaign_public_uses_and_goals.
    extras: dict = field(default_factory=dict)


@dataclass
class CampaignFigures:
    filters: Filters
    lines: list[CampaignLine]
    followers_end: int | None


def campaign_public_uses_and_goals(*, agency: Agency, campaign_ids: list[int]) -> dict[int, dict]:
    """Each campaign's public hashtag uses and its progress towards its goal, over the whole
    campaign (not only the period: a goal is set for the campaign), keyed by campaign id, from
    campaigns.figures. Keys: public_uses, goal_kind, goal_target, goal_value, goal_percent,
    goal_reached."""
    from campaigns.figures import campaign_figures

    return campaign_figures(agency=agency, campaign_ids=campaign_ids)


def campaigns(*, agency: Agency, filters: Filters) -> CampaignFigures:
    """The agency's campaigns running during the period, side by side, with the figures of
    their posts published in the period (through TargetMetrics.post -> Post.campaign)."""
    period = filters.period
    running = list(
        Campaign.objects.filter(
            agency=agency, starts_on__lte=period.end_date, ends_on__gte=period.start_date
        )
        .order_by("starts_on", "name", "pk")
        .values("pk", "name", "hashtags", "starts_on", "ends_on")
    )
    ids = [c["pk"] for c in running]
    figures = {
        row["post__campaign_id"]: row
        for row in _metrics(agency, filters, period.start, period.end)
        .filter(post__campaign_id__in=ids)
        .values("post__campaign_id")
        .annotate(**_sums())
    }
    followers_end = _sum_known(a.end for a in _followers(agency, filters))
    extras = campaign_public_uses_and_goals(agency=agency, campaign_ids=ids)
    for extra in extras.values():
        extra["goal_label"] = GoalKind(extra["goal_kind"]).label
    lines = []
    for c in running:
        row = figures.get(c["pk"], {})
        posts, engagements = row.get("n_posts", 0), row.get("n_engagements", 0)
        lines.append(
            CampaignLine(
                campaign_id=c["pk"],
                name=c["name"],
                hashtags=c["hashtags"],
                starts_on=c["starts_on"],
                ends_on=c["ends_on"],
                posts=posts,
                impressions=row.get("n_impressions", 0),
                engagements=engagements,
                avg_engagements=per_post(engagements, posts),
                engagement_rate=engagement_rate(engagements, followers_end),
                extras=extras.get(c["pk"], {}),
            )
        )
    return CampaignFigures(filters=filters, lines=lines, followers_end=followers_end)


# --- Audience quality -------------------------------------------------------------------------


@dataclass
class AudiencePoint:
    day: dt.date
    followers: int
    engaged_people: int

    @property
    def engaged_pct(self) -> float | None:
        return share(self.engaged_people, self.followers)

    @property
    def silent_following(self) -> bool:
        return silent_following(self.followers, self.engaged_people)


@dataclass
class AudienceLine:
    account_id: int
    label: str
    platform: str
    points: list[AudiencePoint]

    @property
    def latest(self) -> AudiencePoint | None:
        return self.points[-1] if self.points else None

    @property
    def silent_following(self) -> bool:
        return bool(self.latest and self.latest.silent_following)


@dataclass
class Audience:
    filters: Filters
    lines: list[AudienceLine]
    min_followers: int = SILENT_FOLLOWING_MIN_FOLLOWERS
    max_engaged_pct: float = SILENT_FOLLOWING_MAX_ENGAGED_PCT

    @property
    def has_points(self) -> bool:
        return any(line.points for line in self.lines)

    @property
    def flagged(self) -> list[AudienceLine]:
        return [line for line in self.lines if line.silent_following]


def audience(*, agency: Agency, filters: Filters) -> Audience:
    """Followers against people who engage, per account and day over the period, and the
    large-silent-following flag at each account's latest snapshot in it. Two queries; the
    rows are the series themselves (accounts x days)."""
    period = filters.period
    accounts = list(_accounts(agency, filters))
    lines = {a.pk: AudienceLine(a.pk, str(a), a.platform, []) for a in accounts}
    snapshots = AccountSnapshot.objects.filter(
        agency=agency,
        account_id__in=list(lines),
        taken_on__gte=period.start_date,
        taken_on__lte=period.end_date,
    )
    for account_id, day, followers, engaged in snapshots.order_by(
        "account_id", "taken_on"
    ).values_list("account_id", "taken_on", "followers", "engaged_people"):
        lines[account_id].points.append(AudiencePoint(day, followers, engaged))
    return Audience(filters=filters, lines=list(lines.values()))
