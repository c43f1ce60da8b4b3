"""The analyst dashboards: thin, read-only views over engagement/dashboards.py.

Each page reads its filters from the query string (so a view can be shared as a link), asks one
selector for its figures and renders them as charts, each with a table of the same figures, or
as CSV with `format=csv`. Nothing here changes state: there are no POST routes, so analysts
(read-only) see exactly what supervisors and admins see. Another agency's account or post is a
404; an account id that is not the agency's in the filter is a form error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import replace
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.access import role_required
from accounts.forms import OwnIdsForm
from accounts.models import Agency, Platform
from accounts.selectors import platform_accounts_for_agency
from engagement import dashboards, selectors
from engagement.dashboards import Filters, Period
from engagement.models import Category
from posts.models import PostStyle

# Query parameters every page understands; the tabs carry them from page to page.
FILTER_KEYS = ("from", "to", "account", "platform", "style")
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2099, 12, 31)

TEMPLATES = {
    "overview": "engagement/dashboard_overview.html",
    "account": "engagement/dashboard_account.html",
    "post": "engagement/dashboard_post.html",
    "styles": "engagement/dashboard_styles.html",
    "inbox": "engagement/dashboard_inbox.html",
    "campaigns": "engagement/dashboard_campaigns.html",
    "audience": "engagement/dashboard_audience.html",
}


# --- Filters ------------------------------------------------------------------------------------


class DayField(forms.DateField):
    """A date as YYYY-MM-DD (what a date input sends and a shared link holds). The error repeats
    the value: a browser shows an invalid date as an empty box."""

    input_formats = ["%Y-%m-%d"]
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("“%(value)s” is not a date: use the form YYYY-MM-DD, e.g. 2024-03-01."),
                code="invalid",
                params={"value": str(value)[:40]},
            ) from None


class DashboardFilterForm(OwnIdsForm):
    """The filter bar: `from`/`to` (dates in the agency's time zone, inclusive; by default the
    last 28 days ending today), and the optional filters a page names in `extra`. Unlike the
    inbox's filters, a bad value is an error shown on the page: figures for a period the person
    did not ask for would mislead."""

    id_prefix = "dash"

    def __init__(
        self,
        data,
        *,
        agency: Agency,
        extra: Iterable[str] = ("account", "platform", "style"),
        optional_period: bool = False,
    ):
        super().__init__(data)
        self.agency = agency
        self.optional_period = optional_period
        self.fields["from"] = DayField(label=gettext_lazy("From"), required=False)
        self.fields["to"] = DayField(label=gettext_lazy("To"), required=False)
        everything = [("", _("All"))]
        if "account" in extra:
            self.fields["account"] = forms.TypedChoiceField(
                label=gettext_lazy("Account"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=everything
                + [(a.pk, str(a)) for a in platform_accounts_for_agency(agency=agency)],
            )
        if "platform" in extra:
            self.fields["platform"] = forms.ChoiceField(
                label=gettext_lazy("Platform"),
                required=False,
                choices=everything + Platform.choices,
            )
        if "style" in extra:
            self.fields["style"] = forms.ChoiceField(
                label=gettext_lazy("Style"), required=False, choices=everything + PostStyle.choices
            )
        self.period: Period | None = None

    def clean(self):
        cleaned = super().clean()
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        start, end = cleaned.get("from"), cleaned.get("to")
        for name, value in (("from", start), ("to", end)):
            if value is not None and not MIN_DATE <= value <= MAX_DATE:
                self.add_error(
                    name,
                    _("Choose a date between %(min)s and %(max)s.")
                    % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
                )
        if self.errors:
            return cleaned
        tz = self.agency.tzinfo
        if start is None and end is None:
            if not self.optional_period:
                self.period = Period.ending(tz)
            return cleaned
        end = end or timezone.localdate(timezone=tz)
        start = start or end - dt.timedelta(days=dashboards.DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            self.add_error("to", _("The end date must not be before the start date."))
        elif (end - start).days + 1 > dashboards.MAX_PERIOD_DAYS:
            self.add_error(
                "to",
                _("Choose a period of at most %(n)d days.") % {"n": dashboards.MAX_PERIOD_DAYS},
            )
        else:
            self.period = Period(start, end, tz)
        return cleaned

    def full_clean(self):
        super().full_clean()
        # Point each field with an error at its message, for screen readers.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self.auto_id % name}-error"}
                )

    def filters(self) -> Filters:
        if self.period is None:
            raise ValueError("filters() needs a valid form with a period")
        data = self.cleaned_data
        return Filters(
            period=self.period,
            account_id=data.get("account"),
            platform=data.get("platform") or None,
            style=data.get("style") or None,
        )


def _form(request: HttpRequest, **kwargs) -> DashboardFilterForm:
    data = request.GET.copy()
    if not kwargs.get("optional_period") and not data.get("from") and not data.get("to"):
        # Show the default period in the date fields, not empty boxes.
        default = Period.ending(request.agency.tzinfo)
        data["from"], data["to"] = default.start_date.isoformat(), default.end_date.isoformat()
    return DashboardFilterForm(data, agency=request.agency, **kwargs)


# --- Page frame: tabs, links, CSV ----------------------------------------------------------------

TABS = (
    ("engagement:dashboards", gettext_lazy("Overview")),
    ("engagement:dashboard_styles", gettext_lazy("Style and timing")),
    ("engagement:dashboard_inbox", gettext_lazy("Inbox")),
    ("engagement:dashboard_campaigns", gettext_lazy("Campaigns")),
    ("engagement:dashboard_audience", gettext_lazy("Audience")),
)


def _shared_query(request: HttpRequest) -> str:
    return urlencode([(k, request.GET[k]) for k in FILTER_KEYS if request.GET.get(k)])


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _frame(request: HttpRequest, form: DashboardFilterForm) -> dict:
    query = _shared_query(request)
    current = request.resolver_match.view_name if request.resolver_match else ""
    params = [(k, v) for k, v in request.GET.items() if k != "format"]
    csv_query = urlencode([*params, ("format", "csv")])
    return {
        "form": form,
        "period": form.period,
        "previous_period": form.period.previous() if form.period else None,
        "tabs": [
            {
                "url": _with_query(reverse(name), query),
                "label": label,
                "current": name == current,
            }
            for name, label in TABS
        ],
        "shared_query": query,
        "csv_url": f"{request.path}?{csv_query}",
        "reset_url": request.path,
        "agency_tz": request.agency.timezone,
    }


def _render(
    request: HttpRequest, page: str, form: DashboardFilterForm, context: dict | None = None
) -> HttpResponse:
    full = _frame(request, form) | (context or {})
    return render(request, TEMPLATES[page], full, status=200 if form.is_valid() else 400)


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _cell(value) -> object:
    """A CSV cell: numbers as they are, rates to 2 decimals, times ISO in the agency's zone, and
    text that a spreadsheet would take for a formula made inert."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    """UTF-8 with a byte-order mark, so Excel shows Korean."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_name(page: str, period: Period | None) -> str:
    span = f"-{period.start_date.isoformat()}-{period.end_date.isoformat()}" if period else ""
    return f"beat-{page}{span}.csv"


# --- Long tables: figures written once per request -------------------------------------------------


class Cells:
    """Formats the cells of the day-by-day tables (hundreds to thousands of cells) for people,
    as floatformat:"0g" and date:"Y-m-d D" would, at a fraction of their cost per cell: the
    separators and weekday names of the active language are looked up once."""

    def __init__(self):
        self.thousands = get_format("THOUSAND_SEPARATOR")
        self.decimal = get_format("DECIMAL_SEPARATOR")
        self.weekdays = [str(WEEKDAYS_ABBR[i]) for i in range(7)]

    def int(self, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{round(value):,}".replace(",", self.thousands)

    def dec(self, value: float | None, places: int = 1, unit: str = "") -> str:
        if value is None:
            return "—"
        whole, _dot, fraction = f"{value:,.{places}f}".partition(".")
        text = whole.replace(",", self.thousands) + (self.decimal + fraction if fraction else "")
        return text + unit

    def day(self, day: dt.date) -> str:
        return f"{day.isoformat()} {self.weekdays[day.weekday()]}"

    def time(self, moment: dt.datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _daily_rows(data: dashboards.Overview, cells: Cells) -> list[dict[str, str]]:
    return [
        {
            "day": cells.day(d.day),
            "posts": cells.int(d.posts),
            "impressions": cells.int(d.impressions),
            "engagements": cells.int(d.engagements),
            "previous_day": cells.day(d.previous_day),
            "previous_impressions": cells.int(d.previous_impressions),
            "previous_engagements": cells.int(d.previous_engagements),
        }
        for d in data.days
    ]


def _audience_rows(line: dashboards.AudienceLine, cells: Cells) -> list[dict[str, str]]:
    return [
        {
            "day": cells.day(p.day),
            "followers": cells.int(p.followers),
            "engaged": cells.int(p.engaged_people),
            "share": cells.dec(p.engaged_pct, 2, "%"),
        }
        for p in line.points
    ]


# --- Charts: the JSON static/js/charts.js draws ---------------------------------------------------


def _dataset(label: str, data: list, **extra) -> dict:
    return {"label": str(label), "data": data, **extra}


def _day_labels(days: Iterable[dt.date]) -> list[str]:
    return [d.isoformat() for d in days]


def _overview_charts(data: dashboards.Overview) -> dict:
    labels = _day_labels(d.day for d in data.days)
    return {
        "engagements": {
            "type": "line",
            "labels": labels,
            "datasets": [
                _dataset(_("This period"), [d.engagements for d in data.days]),
                _dataset(
                    _("Previous period"), [d.previous_engagements for d in data.days], dashed=True
                ),
            ],
        },
        "impressions": {
            "type": "line",
            "labels": labels,
            "datasets": [
                _dataset(_("This period"), [d.impressions for d in data.days]),
                _dataset(
                    _("Previous period"), [d.previous_impressions for d in data.days], dashed=True
                ),
            ],
        },
    }


def _audience_chart(line: dashboards.AudienceLine, period: Period) -> dict:
    by_day = {p.day: p for p in line.points}
    dates = period.dates()
    return {
        "type": "line",
        "labels": _day_labels(dates),
        "y2": True,
        "yTitle": _("Followers"),
        "y2Title": _("People who engaged"),
        "datasets": [
            _dataset(_("Followers"), [by_day[d].followers if d in by_day else None for d in dates]),
            _dataset(
                _("People who engaged (30 days)"),
                [by_day[d].engaged_people if d in by_day else None for d in dates],
                axis="y2",
            ),
        ],
    }


# The same colour for a category on every chart (urgent and abuse in warm tones).
COLOURS = {
    Category.URGENT: "#b42318",
    Category.ABUSE: "#9b2c2c",
    Category.TIP: "#1d4f91",
    Category.COMPLAINT: "#d9822b",
    Category.QUESTION: "#6b46c1",
    Category.PRAISE: "#2e8540",
    Category.OTHER: "#4a5568",
}


# --- Pages ------------------------------------------------------------------------------------------


def _overview_csv_rows(data: dashboards.Overview, with_accounts: bool) -> list[list]:
    def row(section: str, label: str, f: dashboards.Figures) -> list:
        growth = f.follower_growth
        return [section, label, f.posts, f.impressions, f.engagements, f.followers_end] + [
            growth.absolute,
            growth.percent,
            f.engagement_rate,
        ]

    def span(p: Period) -> str:
        return f"{p.start_date.isoformat()}..{p.end_date.isoformat()}"

    rows = [
        row("period", span(data.period), data.current),
        row("previous_period", span(data.previous_period), data.previous),
    ]
    if with_accounts:
        rows += [row("account", a.label, a.figures) for a in data.accounts]
    for d in data.days:
        rows.append(["day", d.day, d.posts, d.impressions, d.engagements, None, None, None, None])
    return rows


OVERVIEW_CSV_HEADER = [
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


@require_safe
@role_required(section="dashboards")
def overview(request: HttpRequest) -> HttpResponse:
    """The agency over a period against the previous one, its accounts and top posts."""
    form = _form(request)
    if not form.is_valid():
        return _render(request, "overview", form)
    data = dashboards.overview(agency=request.agency, filters=form.filters())
    if _wants_csv(request):
        return _csv(
            _csv_name("overview", data.period),
            OVERVIEW_CSV_HEADER,
            _overview_csv_rows(data, with_accounts=True),
        )
    context = {"data": data, "charts": _overview_charts(data), "daily": _daily_rows(data, Cells())}
    return _render(request, "overview", form, context)


@require_safe
@role_required(section="dashboards")
def account(request: HttpRequest, account_id: int) -> HttpResponse:
    """One connected account: the overview's figures for it, and its audience over time."""
    platform_account = dashboards.account_get(agency=request.agency, account_id=account_id)
    form = _form(request, extra=("style",))
    context: dict = {"account": platform_account}
    if not form.is_valid():
        return _render(request, "account", form, context)
    filters = replace(form.filters(), account_id=platform_account.pk)
    data = dashboards.overview(agency=request.agency, filters=filters)
    audience = dashboards.audience(agency=request.agency, filters=replace(filters, style=None))
    line = audience.lines[0] if audience.lines else None
    if _wants_csv(request):
        rows = _overview_csv_rows(data, with_accounts=False)
        points = {p.day: p for p in line.points} if line else {}
        for row in rows:
            point = points.get(row[1]) if row[0] == "day" else None
            row += [point.followers, point.engaged_people] if point else [None, None]
        return _csv(
            _csv_name(f"account-{platform_account.pk}", data.period),
            [*OVERVIEW_CSV_HEADER, "followers", "engaged_people"],
            rows,
        )
    charts = _overview_charts(data)
    if line is not None:
        charts["audience"] = _audience_chart(line, data.period)
    cells = Cells()
    context |= {
        "data": data,
        "audience_line": line,
        "audience_rows": _audience_rows(line, cells) if line else [],
        "audience": audience,
        "charts": charts,
        "daily": _daily_rows(data, cells),
    }
    return _render(request, "account", form, context)


@require_safe
@role_required(section="dashboards")
def post(request: HttpRequest, post_id: int) -> HttpResponse:
    """One post's impressions and engagements over time, one line per platform account. The
    period is optional here: without one, the whole curve since publication."""
    form = _form(request, extra=(), optional_period=True)
    valid = form.is_valid()
    period = form.period if valid else None
    data = dashboards.post_curves(
        agency=request.agency,
        post_id=post_id,
        start=period.start if period else None,
        end=period.end if period else None,
    )
    if not valid:
        return _render(request, "post", form, {"data": data})
    if _wants_csv(request):
        header = [
            "taken_at",
            "account",
            "platform",
            "hours_since_publication",
            "impressions",
            "likes",
            "replies",
            "shares",
            "quotes",
            "engagements",
        ]
        rows = [
            [p.taken_at, line.label, line.platform, p.hours, p.impressions, p.likes]
            + [p.replies, p.shares, p.quotes, p.engagements]
            for line in data.lines
            for p in line.points
        ]
        return _csv(_csv_name(f"post-{data.post.pk}", period), header, rows)

    def curve(metric: Callable[[dashboards.CurvePoint], int], title: str) -> dict:
        return {
            "type": "line",
            "x": {"type": "linear", "title": _("Hours since publication")},
            "yTitle": title,
            "datasets": [
                _dataset(
                    line.label, [{"x": round(p.hours, 2), "y": metric(p)} for p in line.points]
                )
                for line in data.lines
            ],
        }

    charts = {
        "impressions": curve(lambda p: p.impressions, _("Impressions")),
        "engagements": curve(lambda p: p.engagements, _("Engagements")),
    }
    cells = Cells()
    readings = [
        {
            "line": line,
            "rows": [
                {
                    "taken_at": cells.time(p.taken_at),
                    "hours": cells.dec(p.hours, 1),
                    "impressions": cells.int(p.impressions),
                    "likes": cells.int(p.likes),
                    "replies": cells.int(p.replies),
                    "shares": cells.int(p.shares),
                    "quotes": cells.int(p.quotes),
                    "engagements": cells.int(p.engagements),
                }
                for p in line.points
            ],
        }
        for line in data.lines
        if line.points
    ]
    return _render(request, "post", form, {"data": data, "charts": charts, "readings": readings})


@require_safe
@role_required(section="dashboards")
def styles(request: HttpRequest) -> HttpResponse:
    """Which style works better, and when to post (hour x weekday, agency time zone)."""
    form = _form(request)
    if not form.is_valid():
        return _render(request, "styles", form)
    data = dashboards.styles(agency=request.agency, filters=form.filters())
    weekdays = {n: str(WEEKDAYS[n - 1]) for n in range(1, 8)}
    if _wants_csv(request):
        header = ["section", "style", "weekday", "hour", "posts", "impressions", "engagements"]
        header += ["avg_impressions", "avg_engagements", "engagement_rate_pct"]
        rows: list[list] = [
            ["style", s.style, None, None, s.posts, s.impressions, s.engagements]
            + [s.avg_impressions, s.avg_engagements, s.engagement_rate]
            for s in data.lines
        ]
        rows += [
            ["heatmap", None, r.weekday, c.hour, c.posts, None, c.engagements]
            + [None, c.avg_engagements, None]
            for r in data.heatmap
            for c in r.cells
            if c.posts
        ]
        return _csv(_csv_name("styles", data.filters.period), header, rows)
    charts = {
        "styles": {
            "type": "bar",
            "labels": [s.label for s in data.lines],
            "datasets": [
                _dataset(
                    _("Engagements per post"),
                    [round(s.avg_engagements or 0, 1) for s in data.lines],
                ),
                _dataset(
                    _("Impressions per post"),
                    [round(s.avg_impressions or 0, 1) for s in data.lines],
                    axis="y2",
                ),
            ],
            "y2": True,
        }
    }
    heatmap = [{"label": weekdays[r.weekday], "cells": r.cells} for r in data.heatmap]
    return _render(
        request,
        "styles",
        form,
        {"data": data, "charts": charts, "heatmap": heatmap, "hours": range(24)},
    )


@require_safe
@role_required(section="dashboards")
def inbox(request: HttpRequest) -> HttpResponse:
    """Inbound volume by category and first-response times against the target."""
    form = _form(request, extra=("account", "platform"))
    if not form.is_valid():
        return _render(request, "inbox", form)
    data = dashboards.inbox(agency=request.agency, filters=form.filters())
    if _wants_csv(request):
        header = ["section", "date", "category", "messages", "conversations_started"]
        header += ["answered", "due_or_answered", "answered_within_target"]
        header += ["within_target_pct", "first_response_p50_seconds", "first_response_p90_seconds"]

        def stats(r: dashboards.ResponseStats) -> list:
            return [r.started, r.answered, r.eligible, r.within_target] + [
                r.within_target_share,
                r.p50_seconds,
                r.p90_seconds,
            ]

        rows = [["total", None, None, data.total_messages, *stats(data.response)]]
        rows += [
            ["category", None, c.category, c.messages, *stats(c.response)] for c in data.categories
        ]
        rows += [
            ["day", d.day, category, n] + [None] * 7
            for d in data.days
            for category, n in d.by_category.items()
            if n
        ]
        return _csv(_csv_name("inbox", data.filters.period), header, rows)
    used = [c for c in data.categories if c.messages]
    charts = {
        "volume": {
            "type": "bar",
            "stacked": True,
            "labels": _day_labels(d.day for d in data.days),
            "datasets": [
                _dataset(
                    c.label,
                    [d.by_category[c.category] for d in data.days],
                    colour=COLOURS.get(c.category),
                )
                for c in used
            ],
        }
    }
    cells = Cells()
    day_rows = [
        [cells.day(d.day)]
        + [cells.int(d.by_category[c.category]) for c in used]
        + [cells.int(d.total)]
        for d in data.days
    ]
    target = selectors.inbox_settings_for(agency=request.agency).first_response_target_minutes
    context = {"data": data, "charts": charts, "used": used, "day_rows": day_rows}
    return _render(request, "inbox", form, context | {"target_minutes": target})


@require_safe
@role_required(section="dashboards")
def campaigns(request: HttpRequest) -> HttpResponse:
    """The campaigns running in the period, side by side."""
    form = _form(request)
    if not form.is_valid():
        return _render(request, "campaigns", form)
    data = dashboards.campaigns(agency=request.agency, filters=form.filters())
    if _wants_csv(request):
        header = ["campaign_id", "name", "hashtags", "starts_on", "ends_on", "posts"]
        header += ["impressions", "engagements", "engagements_per_post", "engagement_rate_pct"]
        header += ["public_uses", "goal_kind", "goal_target", "goal_value", "goal_percent"]
        rows = [
            [c.campaign_id, c.name, c.hashtags, c.starts_on, c.ends_on, c.posts, c.impressions]
            + [c.engagements, c.avg_engagements, c.engagement_rate]
            + [c.extras.get(key) for key in ("public_uses", "goal_kind", "goal_target")]
            + [c.extras.get("goal_value"), c.extras.get("goal_percent")]
            for c in data.lines
        ]
        return _csv(_csv_name("campaigns", data.filters.period), header, rows)
    charts = {
        "campaigns": {
            "type": "bar",
            "labels": [c.name for c in data.lines],
            "y2": True,
            "datasets": [
                _dataset(_("Engagements"), [c.engagements for c in data.lines]),
                _dataset(_("Impressions"), [c.impressions for c in data.lines], axis="y2"),
            ],
        }
    }
    return _render(request, "campaigns", form, {"data": data, "charts": charts})


@require_safe
@role_required(section="dashboards")
def audience(request: HttpRequest) -> HttpResponse:
    """Followers against people who engage, per account over time; large silent followings."""
    form = _form(request, extra=("account", "platform"))
    if not form.is_valid():
        return _render(request, "audience", form)
    data = dashboards.audience(agency=request.agency, filters=form.filters())
    if _wants_csv(request):
        header = ["date", "account_id", "account", "platform", "followers", "engaged_people"]
        header += ["engaged_pct", "large_silent_following"]
        rows = [
            [p.day, line.account_id, line.label, line.platform, p.followers, p.engaged_people]
            + [p.engaged_pct, "yes" if p.silent_following else "no"]
            for line in data.lines
            for p in line.points
        ]
        return _csv(_csv_name("audience", data.filters.period), header, rows)
    period = data.filters.period
    cells = Cells()
    lines = [
        {
            "line": line,
            "rows": _audience_rows(line, cells),
            "chart_id": f"chart-audience-{line.account_id}",
            "chart": _audience_chart(line, period),
        }
        for line in data.lines
    ]
    return _render(request, "audience", form, {"data": data, "lines": lines})
