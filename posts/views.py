from __future__ import annotations

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
from posts.services import LOCKED_STATUSES

SCHEDULABLE = (PostStatus.APPROVED, PostStatus.SCHEDULED)
SUBMITTABLE = (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED)


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
    role = request.membership.role
    can_draft = role in SECTION_ROLES["drafts"]
    return render(
        request,
        "posts/post_detail.html",
        {
            "post": post,
            "form": form,
            "targets": targets,
            "can_draft": can_draft,
            "can_review": role in SECTION_ROLES["approvals"],
            "editable": can_draft and post.status not in LOCKED_STATUSES,
            "submittable": can_draft and post.status in SUBMITTABLE,
            "cancellable": can_draft and post.status in SCHEDULABLE,
            "deletable": (PostStatus.PUBLISHED, PostStatus.PARTLY_FAILED),
            "changes": selectors.latest_change_request(agency=request.agency, post=post),
            "media": post.media.all(),
        },
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
