"""The content calendar: a month, a week or a day of posts, in the agency's own time zone.

Everyone who may open the calendar sees it; only drafting roles get items they can drag (and
the "Move…" link, the keyboard's way to do the same). Moving calls
`posts.calendar_services.calendar_reschedule`, from the drag (JSON) or from the form page.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import role_required
from accounts.roles import SECTION_ROLES
from posts import calendar_services, selectors
from posts.calendar_services import CalendarEntry
from posts.models import PostStatus

# A month cell (or a week's hour slot) lists at most this many posts, then "+N more".
CELL_LIMIT = 20
HOURS = range(24)


@dataclass
class Item:
    """One post as the calendar draws it."""

    entry: CalendarEntry
    local: datetime
    draggable: bool

    @property
    def post(self):
        return self.entry.post

    @property
    def hue(self) -> int | None:
        # The golden angle spreads consecutive campaign ids around the colour wheel, and the
        # same campaign gets the same colour on every page and every day.
        campaign_id = self.entry.post.campaign_id
        return (campaign_id * 137) % 360 if campaign_id else None


@dataclass
class Cell:
    day: date
    hour: int | None = None
    items: list[Item] = field(default_factory=list)
    in_month: bool = True
    today: bool = False

    @property
    def shown(self) -> list[Item]:
        return self.items[:CELL_LIMIT]

    @property
    def more(self) -> int:
        return max(0, len(self.items) - CELL_LIMIT)


def _chosen_day(request: HttpRequest, today: date) -> date:
    # "week" is what the first calendar page used; its links keep working.
    raw = request.GET.get("date") or request.GET.get("week") or ""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return today


def _items(request: HttpRequest, first: date, days: int) -> list[Item]:
    tz = request.agency.tzinfo
    start, end = calendar_services.local_range(first, days, tz)
    entries = calendar_services.calendar_entries(
        agency=request.agency, start=start, end=end, include_closed=_include_closed(request)
    )
    may_move = request.membership.role in SECTION_ROLES["drafts"]
    return [
        Item(
            entry=e,
            local=timezone.localtime(e.at, tz),
            draggable=(
                may_move
                and not e.by_publication
                and calendar_services.reschedule_problem(post=e.post, started=e.started) is None
            ),
        )
        for e in entries
    ]


def _include_closed(request: HttpRequest) -> bool:
    return request.GET.get("closed") == "1"


def _context(request: HttpRequest, view: str, anchor: date, today: date, **extra) -> dict:
    return {
        "view": view,
        "anchor": anchor,
        "today": today,
        "closed": _include_closed(request),
        "tz_name": request.agency.timezone,
        "may_move": request.membership.role in SECTION_ROLES["drafts"],
        "month_url": _nav(request, "posts:calendar_month", anchor),
        "week_url": _nav(request, "posts:calendar_week", anchor),
        "day_url": _nav(request, "posts:calendar_day", anchor),
        "today_url": _nav(request, f"posts:calendar_{view}", today),
        "statuses": PostStatus.choices,
        **extra,
    }


def _today(request: HttpRequest) -> date:
    return timezone.localtime(timezone.now(), request.agency.tzinfo).date()


@role_required(section="calendar")
def month(request: HttpRequest) -> HttpResponse:
    today = _today(request)
    anchor = _chosen_day(request, today)
    first = anchor.replace(day=1)
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    grid_start = first - timedelta(days=first.weekday())
    grid_end = last + timedelta(days=6 - last.weekday())
    days = (grid_end - grid_start).days + 1
    cells = {
        grid_start + timedelta(days=i): Cell(day=grid_start + timedelta(days=i))
        for i in range(days)
    }
    for cell in cells.values():
        cell.in_month = cell.day.month == first.month
        cell.today = cell.day == today
    for item in _items(request, grid_start, days):
        cells[item.local.date()].items.append(item)
    ordered = list(cells.values())
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    context = _context(
        request,
        "month",
        anchor,
        today,
        weeks=weeks,
        weekdays=[grid_start + timedelta(days=i) for i in range(7)],
        first=first,
        previous_url=_nav(request, "posts:calendar_month", previous),
        next_url=_nav(request, "posts:calendar_month", following),
    )
    return render(request, "posts/calendar_month.html", context)


@role_required(section="calendar")
def week(request: HttpRequest) -> HttpResponse:
    today = _today(request)
    anchor = _chosen_day(request, today)
    monday = anchor - timedelta(days=anchor.weekday())
    days = [monday + timedelta(days=i) for i in range(7)]
    slots = {(d, h): Cell(day=d, hour=h, today=d == today) for d in days for h in HOURS}
    for item in _items(request, monday, 7):
        slots[(item.local.date(), item.local.hour)].items.append(item)
    rows = [(h, [slots[(d, h)] for d in days]) for h in HOURS]
    context = _context(
        request,
        "week",
        anchor,
        today,
        days=days,
        rows=rows,
        monday=monday,
        previous_url=_nav(request, "posts:calendar_week", monday - timedelta(days=7)),
        next_url=_nav(request, "posts:calendar_week", monday + timedelta(days=7)),
    )
    return render(request, "posts/calendar_week.html", context)


@role_required(section="calendar")
def day(request: HttpRequest) -> HttpResponse:
    today = _today(request)
    anchor = _chosen_day(request, today)
    slots = [Cell(day=anchor, hour=h, today=anchor == today) for h in HOURS]
    items = _items(request, anchor, 1)
    for item in items:
        slots[item.local.hour].items.append(item)
    context = _context(
        request,
        "day",
        anchor,
        today,
        slots=slots,
        total=len(items),
        previous_url=_nav(request, "posts:calendar_day", anchor - timedelta(days=1)),
        next_url=_nav(request, "posts:calendar_day", anchor + timedelta(days=1)),
    )
    return render(request, "posts/calendar_day.html", context)


def _nav(request: HttpRequest, name: str, day: date) -> str:
    query = {"date": day.isoformat(), **({"closed": "1"} if _include_closed(request) else {})}
    return f"{reverse(name)}?{urlencode(query)}"


# --- Moving a post -----------------------------------------------------------------------------


class RescheduleForm(forms.Form):
    # Read in the agency's time zone, which the middleware activates. A wall-clock time that
    # does not exist or happens twice (when the clocks change) is refused by the field.
    at = forms.DateTimeField(
        label=gettext_lazy("New time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("In the agency's time zone."),
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest) -> str:
    """The calendar page the person came from, if it is one of ours; else empty."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def _back(request: HttpRequest, at: datetime) -> str:
    local = timezone.localtime(at, request.agency.tzinfo)
    return _safe_next(request) or _nav(request, "posts:calendar_week", local.date())


@role_required(section="drafts")
def reschedule(request: HttpRequest, post_id: int) -> HttpResponse:
    """GET: a form to pick the new time (the keyboard's alternative to dragging).
    POST: move the post; answers JSON to the calendar's script, redirects a form."""
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    tz = request.agency.tzinfo
    initial = {"at": timezone.localtime(post.scheduled_at, tz)} if post.scheduled_at else {}
    form = RescheduleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                post = calendar_services.calendar_reschedule(
                    post=post, by=request.user, at=form.cleaned_data["at"]
                )
            except ValueError as exc:
                form.add_error("at", str(exc))
            else:
                local = timezone.localtime(post.scheduled_at, tz)
                text = _("“%(post)s” moved to %(at)s.") % {
                    "post": post,
                    "at": local.strftime("%Y-%m-%d %H:%M %Z"),
                }
                messages.success(request, text)
                if _wants_json(request):
                    return JsonResponse({"ok": True, "message": text, "at": local.isoformat()})
                return redirect(_back(request, post.scheduled_at))
        if _wants_json(request):
            errors = [str(e) for errs in form.errors.values() for e in errs]
            return JsonResponse({"ok": False, "message": " ".join(errors)}, status=400)
        status = 400
    context = {
        "post": post,
        "form": form,
        "problem": calendar_services.move_problem(post=post),
        "next": _safe_next(request),
        "tz_name": request.agency.timezone,
    }
    return render(request, "posts/calendar_reschedule.html", context, status=status)
