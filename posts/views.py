from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import role_required
from accounts.views import paginate
from posts import selectors
from posts.models import PostStatus


@role_required(section="drafts")
def drafts(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in PostStatus.values:
        status = None
    page = paginate(request, selectors.posts_for_agency(agency=request.agency, status=status))
    return render(
        request,
        "posts/drafts.html",
        {"page": page, "status": status, "statuses": PostStatus.choices},
    )


@role_required(section="drafts")
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    return render(request, "posts/post_detail.html", {"post": post})


@role_required(section="approvals")
def approvals(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.approval_queue(agency=request.agency))
    return render(request, "posts/approvals.html", {"page": page})


def _week_start(request: HttpRequest, today: date) -> date:
    try:
        chosen = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        chosen = today
    return chosen - timedelta(days=chosen.weekday())


@role_required(section="calendar")
def calendar(request: HttpRequest) -> HttpResponse:
    """A week of scheduled posts, in the agency's own time zone."""
    tz = request.agency.tzinfo
    today = timezone.localtime(timezone.now(), tz).date()
    monday = _week_start(request, today)
    start = datetime.combine(monday, time.min, tzinfo=tz)
    end = start + timedelta(days=7)
    days: dict[date, list] = {monday + timedelta(days=i): [] for i in range(7)}
    for post in selectors.scheduled_between(agency=request.agency, start=start, end=end):
        local = timezone.localtime(post.scheduled_at, tz)
        days[local.date()].append((local, post))
    return render(
        request,
        "posts/calendar.html",
        {
            "days": sorted(days.items()),
            "today": today,
            "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "monday": monday,
            "tz_name": request.agency.timezone,
        },
    )
