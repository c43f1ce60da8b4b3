"""The content calendar: which posts a stretch of days shows, and moving a post in time.

Moving is `posts.workflow.post_reschedule`, the same service as the review page's "Reschedule":
an approved post keeps its approval (`content_hash` leaves the time out on purpose) and goes
through `publishing.post_schedule`, which moves the targets that have not started. This module
adds what the calendar needs around it: the calendar's own refusals (asked before the drag
shows an item as movable, and again under the lock) and a PermissionDenied for a role that
does not draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, Membership, User
from accounts.roles import SECTION_ROLES
from posts import workflow
from posts.models import Post, PostKind, PostStatus, PostTarget

MOVABLE = (*workflow.UNAPPROVED_STATES, *workflow.APPROVED_STATES)
# Hidden from the calendar unless asked for: they will never go out.
CLOSED = (PostStatus.CANCELLED, PostStatus.REJECTED)
# A target publishing or published cannot be called back. (A queued one can: the workflow puts
# it back to wait, with the same conditional update a publish task's claim races against.)
STARTED = workflow.STARTED


# --- Reads -------------------------------------------------------------------------------------


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local calendar day starts.

    Built from the wall clock, never by adding 24 hours: a day is 23 or 25 hours long when the
    clocks change. Where midnight itself is skipped, zoneinfo (fold=0) gives the first instant
    of the day.
    """
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def local_range(first: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of `days` local days from `first`."""
    return local_midnight(first, tz), local_midnight(first + timedelta(days=days), tz)


@dataclass(frozen=True)
class CalendarEntry:
    post: Post
    at: datetime  # the instant it is shown at (scheduled, or first published), UTC
    by_publication: bool  # placed by its targets' published_at (it had no scheduled time)
    started: bool  # some target is publishing or published


def calendar_entries(
    *, agency: Agency, start: datetime, end: datetime, include_closed: bool = False
) -> list[CalendarEntry]:
    """The agency's posts between two instants, in time order (two queries).

    Posts with a scheduled time in range (cancelled and rejected ones only when asked for), and
    published posts that never had a scheduled time, placed where their first target went out.
    """
    started = Exists(PostTarget.objects.filter(post=OuterRef("pk"), status__in=STARTED))
    scheduled = (
        Post.objects.filter(agency=agency, scheduled_at__gte=start, scheduled_at__lt=end)
        .exclude(kind=PostKind.REPLY)  # replies live in their inbox threads
        .select_related("campaign")
        .annotate(started=started)
    )
    if not include_closed:
        scheduled = scheduled.exclude(status__in=CLOSED)
    published_in_range = PostTarget.objects.filter(
        agency=agency, published_at__gte=start, published_at__lt=end
    ).values("post_id")
    unscheduled = (
        Post.objects.filter(agency=agency, scheduled_at__isnull=True, pk__in=published_in_range)
        .exclude(kind=PostKind.REPLY)
        .select_related("campaign")
        .annotate(first_published=Min("targets__published_at"), started=started)
        .filter(first_published__gte=start, first_published__lt=end)
    )
    entries = [CalendarEntry(p, p.scheduled_at, False, p.started) for p in scheduled]
    entries += [CalendarEntry(p, p.first_published, True, p.started) for p in unscheduled]
    entries.sort(key=lambda e: (e.at, e.post.pk))
    return entries


def reschedule_problem(*, post: Post, started: bool, at: datetime | None = None) -> str | None:
    """Why this post cannot be moved (to `at`), in words for the person moving it; or None."""
    if post.status in (PostStatus.PUBLISHED, PostStatus.PARTLY_FAILED, PostStatus.FAILED):
        return _("This post has already gone out (or failed to); it can no longer be moved.")
    if post.status in CLOSED:
        return _("A cancelled or rejected post cannot be moved.")
    if post.status not in MOVABLE:
        return _("This post cannot be moved.")
    if started:
        return _("This post is already being published; it can no longer be moved.")
    if at is not None and at <= timezone.now():
        return _("That time has passed. Choose a later time.")
    return None


def _started(post: Post) -> bool:
    return PostTarget.objects.filter(post=post, status__in=STARTED).exists()


def move_problem(*, post: Post) -> str | None:
    """Why this stored post cannot be moved at all right now; or None."""
    return reschedule_problem(post=post, started=_started(post))


def can_move(*, user: User, agency: Agency) -> bool:
    """Only the roles that draft may move posts (the same roles that may schedule them)."""
    return Membership.objects.filter(
        user=user, agency=agency, role__in=SECTION_ROLES["drafts"]
    ).exists()


# --- Changes -----------------------------------------------------------------------------------


@transaction.atomic
def calendar_reschedule(*, post: Post, by: User, at: datetime) -> Post:
    """Move a post to another time (a drag on the calendar, or its "Move…" form).

    Approved and scheduled posts are rescheduled through `publishing.post_schedule` on the
    accounts they are scheduled to: the approval stands, pending (and queued) targets move, and
    "posts.post.scheduled" is audited. Drafts and posts in review only have their time changed
    ("posts.post.rescheduled"), and a late-review warning already sent is forgotten.

    Raises PermissionDenied for a role that does not draft, and ValueError (with a message for
    the person) for a post that went out, failed, was closed or has started publishing, or for
    a time in the past.
    """
    if timezone.is_naive(at):
        raise ValueError("Times must be timezone-aware.")
    post = Post.objects.select_for_update().select_related("agency").get(pk=post.pk)
    if not can_move(user=by, agency=post.agency):
        raise PermissionDenied(_("Only press officers, supervisors and admins can move posts."))
    problem = reschedule_problem(post=post, started=_started(post), at=at)
    if problem:
        raise ValueError(problem)
    return workflow.post_reschedule(post=post, by=by, at=at)
