from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import role_required
from accounts.roles import SECTION_ROLES
from accounts.views import paginate
from posts import publishing, selectors
from posts.forms import ScheduleForm
from posts.models import PostStatus

SCHEDULABLE = (PostStatus.APPROVED, PostStatus.SCHEDULED)


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


# Everyone who sees the calendar may open a post from it; only drafting roles may schedule.
@role_required(section="calendar")
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    form = None
    if post.status in SCHEDULABLE and request.membership.role in SECTION_ROLES["drafts"]:
        form = ScheduleForm(
            agency=request.agency,
            initial={"at": post.scheduled_at, "accounts": list(post.accounts.all())},
        )
    return _detail(request, post, form)


def _detail(request: HttpRequest, post, form, status: int = 200) -> HttpResponse:
    targets = selectors.targets_for_post(agency=request.agency, post=post)
    return render(
        request,
        "posts/post_detail.html",
        {"post": post, "form": form, "targets": targets},
        status=status,
    )


@require_POST
@role_required(section="drafts")
def post_schedule(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    if post.status not in SCHEDULABLE:
        messages.error(request, _("Only an approved post can be scheduled."))
        return redirect("posts:detail", post_id=post.pk)
    form = ScheduleForm(request.POST, agency=request.agency)
    if not form.is_valid():
        return _detail(request, post, form, status=400)
    at = timezone.now() if form.cleaned_data["publish_now"] else form.cleaned_data["at"]
    try:
        publishing.post_schedule(
            post=post, by=request.user, at=at, accounts=form.cleaned_data["accounts"]
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        if form.cleaned_data["publish_now"]:
            messages.success(request, _("Publishing now. This page shows each account's result."))
        else:
            messages.success(
                request,
                _("Scheduled for %(at)s.")
                % {"at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")},
            )
    return redirect("posts:detail", post_id=post.pk)


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
