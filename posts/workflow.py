"""The approval workflow: submit, review (approve, request changes, reject), override a policy
finding, send an edited post back to review, cancel, reschedule, and warn about late reviews.

draft / changes_requested --submit--> in_review --approve (1 or 2)--> approved --schedule--> scheduled
                                      in_review --request changes--> changes_requested
                                      in_review --reject--> rejected (final)
approved / scheduled --content edited--> in_review (post_send_back_to_review)
approved / scheduled --cancel--> cancelled

Every service locks the post row, re-checks its state under the lock, raises `WorkflowError`
with a message for the person on refusal, and writes its audit events last (they hold the
audit chain's head until the transaction ends). Role checks live here, not in the views, so the
HTML pages, the API and the tasks all get the same answer.

An approval counts only for the exact content it was given on (`posts.checks.content_hash`):
the post's `approved_hash`, and every Review's `content_hash`, record what was looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_batch, audit_record
from accounts.models import Agency, Role, User
from accounts.selectors import role_in_agency
from accounts.services import notify
from platforms.base import AuthExpired, NotFound, RateLimited, Rejected, Unavailable
from posts import publishing
from posts.checks import blocking, content_hash, post_findings
from posts.models import (
    ApprovalSettings,
    Post,
    PostStatus,
    PostStyle,
    PostTarget,
    Review,
    ReviewDecision,
    TargetStatus,
)
from posts.policy import Finding

REVIEW_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
SUBMIT_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})

SUBMITTABLE = (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED)
CANCELLABLE = (PostStatus.APPROVED, PostStatus.SCHEDULED)
# Content edits of these send the post back to review (see post_send_back_to_review).
APPROVED_STATES = (PostStatus.APPROVED, PostStatus.SCHEDULED)
# Before approval a new time is only a wish; after it, it is a schedule (publishing.post_schedule).
UNAPPROVED_STATES = (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED)
# Targets that have not started: cancelling them cannot race with a platform call.
NOT_STARTED = (TargetStatus.PENDING, TargetStatus.QUEUED)
STARTED = (TargetStatus.PUBLISHING, TargetStatus.PUBLISHED)

MAX_REASON = 5000


class WorkflowError(ValueError):
    """A refused transition, with a message to show the person as it is."""

    def __init__(self, message: str, *, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.findings = list(findings)


# --- Helpers ------------------------------------------------------------------------------------


def approval_settings(agency: Agency) -> ApprovalSettings:
    """The agency's approval rules; an unsaved row with the defaults when it has none."""
    found = ApprovalSettings.objects.filter(agency=agency).first()
    return found if found is not None else ApprovalSettings(agency=agency)


def approvals_required(post: Post, rules: ApprovalSettings | None = None) -> int:
    """1 (four-eyes), or 2 for warnings / campaign posts when the agency asks for it."""
    rules = rules or approval_settings(post.agency)
    if rules.two_approvals_for_warnings and post.style == PostStyle.WARNING:
        return 2
    is_campaign = post.campaign_id is not None or post.style == PostStyle.CAMPAIGN
    if rules.two_approvals_for_campaigns and is_campaign:
        return 2
    return 1


def is_late(post: Post, *, now: datetime, warning_minutes: int) -> bool:
    """True when a post waiting for review is due within the warning time, or overdue."""
    if post.scheduled_at is None:
        return False
    return post.scheduled_at - now < timedelta(minutes=warning_minutes)


def describe_findings(findings: Iterable[Finding]) -> str:
    """One line per finding, for refusal messages: rule, the offending text, the message."""
    lines = []
    for finding in findings:
        if finding.excerpt:
            lines.append(
                _("%(rule)s: “%(excerpt)s” (%(message)s)")
                % {"rule": finding.rule, "excerpt": finding.excerpt, "message": finding.message}
            )
        else:
            lines.append(
                _("%(rule)s: %(message)s") % {"rule": finding.rule, "message": finding.message}
            )
    return "; ".join(lines)


def annotations_from_excerpts(body: str, pairs: Iterable[tuple[str, str]]) -> list[dict]:
    """Comments on the text, given as (quoted excerpt, comment), as offsets into `body`.

    The first occurrence of the excerpt is the one meant; an excerpt that is not in the text
    is refused rather than silently dropped, since the author would never see the comment.
    """
    annotations = []
    for quote, note in pairs:
        quote = quote.strip().strip("\"“”'‘’").strip()
        note = note.strip()
        if not quote and not note:
            continue
        if not note:
            raise WorkflowError(_("Add a comment for “%(quote)s”.") % {"quote": quote})
        if not quote:
            raise WorkflowError(
                _("Quote the words the comment “%(note)s” is about.") % {"note": note}
            )
        start = body.find(quote)
        if start < 0:
            # Tolerate a different run of spaces or line breaks in the quote.
            pattern = r"\s+".join(re.escape(word) for word in quote.split())
            match = re.search(pattern, body)
            if match is None:
                raise WorkflowError(
                    _("“%(quote)s” is not in the text of the post.") % {"quote": quote}
                )
            start, end = match.span()
        else:
            end = start + len(quote)
        annotations.append(
            {"start": start, "end": end, "text": note[:1000], "quote": body[start:end]}
        )
    return annotations


def _lock(post: Post) -> Post:
    return Post.objects.select_for_update().select_related("agency").get(pk=post.pk)


def _require_role(post: Post, by: User, roles: frozenset[str], refusal: str) -> str:
    role = role_in_agency(agency_id=post.agency_id, user=by)
    if role is None:
        raise WorkflowError(_("You are not a member of this post's agency."))
    if role not in roles:
        raise WorkflowError(refusal)
    return role


def _require_reviewer(post: Post, by: User) -> None:
    _require_role(
        post, by, REVIEW_ROLES, _("Only a supervisor or an agency admin may review posts.")
    )
    if post.author_id == by.pk:
        raise WorkflowError(_("Nobody reviews their own post: another supervisor must look at it."))


def _require_status(post: Post, allowed: Iterable[str], refusal: str) -> None:
    if post.status not in allowed:
        raise WorkflowError(
            refusal + " " + _("It is now “%(status)s”.") % {"status": post.get_status_display()}
        )


def _reviewers(agency_id: int, *, exclude: Iterable[int] = ()) -> QuerySet[User]:
    return (
        User.objects.filter(
            memberships__agency_id=agency_id, memberships__role__in=list(REVIEW_ROLES)
        )
        .exclude(pk__in=list(exclude))
        .distinct()
    )


def _review_link(post: Post) -> str:
    return reverse("posts:review", args=[post.pk])


def _post_link(post: Post) -> str:
    return reverse("posts:detail", args=[post.pk])


def _touch(post: Post, *fields: str) -> None:
    post.updated_at = timezone.now()
    post.save(update_fields=[*fields, "updated_at"])


def _override(
    post: Post, by: User, *, reason: str, found: Sequence[Finding], digest: str
) -> Review | None:
    """The written override of blocking findings, as a Review of this content (None if none)."""
    if not found:
        return None
    return Review.objects.create(
        agency_id=post.agency_id,
        post=post,
        reviewer=by,
        decision=ReviewDecision.OVERRIDE,
        comment=reason,
        content_hash=digest,
    )


def _override_event(
    post: Post,
    by: User,
    override: Review | None,
    *,
    found: Sequence[Finding],
    digest: str,
    at: str,
) -> None:
    """Audit an override, with the findings it overrode; inside the caller's audit batch."""
    if override is None:
        return
    audit_record(
        action="posts.review.override",
        actor=by,
        agency=post.agency,
        target=post,
        data={
            "review": override.pk,
            "reason": override.comment,
            "findings": _finding_data(found),
            "content_hash": digest,
            "at": at,
        },
    )


def _finding_data(findings: Iterable[Finding]) -> list[dict]:
    return [
        {"rule": f.rule, "kind": f.kind, "excerpt": f.excerpt[:200], "start": f.start}
        for f in findings
    ]


# --- Submission ---------------------------------------------------------------------------------


@transaction.atomic
def post_submit(*, post: Post, by: User, override_reason: str = "") -> Post:
    """Send a draft (or a post sent back with changes requested) to the supervisors.

    A blocking policy finding stops it, unless a supervisor or admin overrides it with a written
    reason (recorded as a Review with decision OVERRIDE). Earlier reviews stop counting: this is
    a new review round. The agency's supervisors and admins are told.
    """
    post = _lock(post)
    role = _require_role(
        post, by, SUBMIT_ROLES, _("Only press officers, supervisors and admins submit posts.")
    )
    _require_status(post, SUBMITTABLE, _("Only a draft or a post sent back can be submitted."))
    if not post.body.strip():
        raise WorkflowError(_("Write the post before submitting it."))
    override_reason = override_reason.strip()[:MAX_REASON]
    found = blocking(post_findings(post))
    if override_reason and role not in REVIEW_ROLES:
        raise WorkflowError(
            _("Only a supervisor or an agency admin may override a policy finding.")
        )
    if found and not override_reason:
        if role in REVIEW_ROLES:
            hint = _("Fix the text, or give a written reason to override them.")
        else:
            hint = _("Fix the text, or ask a supervisor to override them.")
        raise WorkflowError(
            _("This post cannot be submitted because of %(findings)s. %(hint)s")
            % {"findings": describe_findings(found), "hint": hint},
            findings=found,
        )
    digest = content_hash(post)
    superseded = Review.objects.filter(post=post, superseded=False).update(superseded=True)
    override = _override(post, by, reason=override_reason, found=found, digest=digest)
    old = post.status
    post.status = PostStatus.IN_REVIEW
    post.approved_hash = ""
    # A new round may be late again, and its supervisors must hear about it again.
    post.late_notified_at = None
    _touch(post, "status", "approved_hash", "late_notified_at")
    notify(
        agency=post.agency,
        users=_reviewers(post.agency_id, exclude=[by.pk]),
        message=_("Waiting for your review: %(post)s") % {"post": post},
        link=_review_link(post),
    )
    with audit_batch():
        _override_event(post, by, override, found=found, digest=digest, at="submit")
        audit_record(
            action="posts.post.submitted",
            actor=by,
            agency=post.agency,
            target=post,
            data={"from": old, "content_hash": digest, "superseded_reviews": superseded},
        )
    return post


# --- Review decisions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalOutcome:
    """What an approval did, so the page can say it in words."""

    post: Post
    approvals: int
    required: int
    # When it was scheduled through publishing.post_schedule; None if not (yet).
    scheduled_at: datetime | None = None
    # Approved with a time but without any account ticked: someone must pick accounts.
    needs_accounts: bool = False

    @property
    def approved(self) -> bool:
        return self.approvals >= self.required


@transaction.atomic
def post_approve(
    *,
    post: Post,
    by: User,
    comment: str = "",
    override_reason: str = "",
    publish_at: datetime | None = None,
) -> ApprovalOutcome:
    """Approve the post's current content (four-eyes; a second supervisor when required).

    A blocking policy finding must be overridden with a written reason in the same action.
    Once enough distinct supervisors approved the same content, the post is approved and, if
    it has a time (its own or `publish_at`), scheduled to its ticked accounts. Without
    accounts it stays approved and someone must pick them.
    """
    post = _lock(post)
    _require_reviewer(post, by)
    _require_status(post, [PostStatus.IN_REVIEW], _("Only a post in review can be approved."))
    if publish_at is not None and timezone.is_naive(publish_at):
        raise ValueError("Publishing times must be timezone-aware.")
    override_reason = override_reason.strip()[:MAX_REASON]
    found = blocking(post_findings(post))
    if found and not override_reason:
        raise WorkflowError(
            _("This post has %(findings)s. To approve it anyway, give a written reason.")
            % {"findings": describe_findings(found)},
            findings=found,
        )
    digest = content_hash(post)
    required = approvals_required(post)
    earlier = Review.objects.filter(post=post, decision=ReviewDecision.APPROVED, superseded=False)
    # An approval of other content (the text changed during review) no longer counts.
    earlier.exclude(content_hash=digest).update(superseded=True)
    approvers = set(earlier.filter(content_hash=digest).values_list("reviewer_id", flat=True))
    if by.pk in approvers:
        raise WorkflowError(
            _("You already approved this post: a second supervisor must approve it too.")
        )
    override = _override(post, by, reason=override_reason, found=found, digest=digest)
    review = Review.objects.create(
        agency_id=post.agency_id,
        post=post,
        reviewer=by,
        decision=ReviewDecision.APPROVED,
        comment=comment.strip()[:MAX_REASON],
        content_hash=digest,
    )
    approvals = len(approvers) + 1
    approved = approvals >= required
    at = publish_at or post.scheduled_at
    if approved:
        post.status = PostStatus.APPROVED
        post.approved_hash = digest
        post.scheduled_at = at
        _touch(post, "status", "approved_hash", "scheduled_at")
    else:
        # The time is kept for the approval that completes it.
        if publish_at is not None:
            post.scheduled_at = publish_at
        _touch(post, "scheduled_at")
    # Recorded before scheduling, so the trail reads approved, then scheduled.
    with audit_batch():
        _override_event(post, by, override, found=found, digest=digest, at="approve")
        audit_record(
            action="posts.review.approved",
            actor=by,
            agency=post.agency,
            target=post,
            data={
                "review": review.pk,
                "content_hash": digest,
                "approvals": approvals,
                "required": required,
                "post_approved": approved,
                "publish_at": publish_at.isoformat() if publish_at else None,
            },
        )
    scheduled_at = None
    needs_accounts = False
    if not approved:
        notify(
            agency=post.agency,
            users=_reviewers(post.agency_id, exclude=[by.pk, post.author_id, *approvers]),
            message=_("A second approval is needed: %(post)s") % {"post": post},
            link=_review_link(post),
        )
    else:
        if at is not None:
            if post.accounts.exists():
                # A time that passed while the post waited for review means "now".
                scheduled_at = max(at, timezone.now())
                _schedule(post, by, scheduled_at)
            else:
                needs_accounts = True
        if scheduled_at is not None:
            message = _("Your post was approved and is scheduled: %(post)s")
        else:
            message = _("Your post was approved: %(post)s")
        notify(
            agency=post.agency,
            users=[post.author],
            message=message % {"post": post},
            link=_post_link(post),
        )
    post.refresh_from_db()
    return ApprovalOutcome(
        post=post,
        approvals=approvals,
        required=required,
        scheduled_at=scheduled_at,
        needs_accounts=needs_accounts,
    )


def _schedule(post: Post, by: User, at: datetime) -> None:
    # Targets cancelled when the post was sent back to review never started (only pending and
    # queued ones are ever cancelled), so they go out again with the newly approved content.
    # needs_reconcile is kept: a target that had an ambiguous failure is still looked up first.
    PostTarget.objects.filter(
        post=post, status=TargetStatus.CANCELLED, account__in=post.accounts.all()
    ).update(
        status=TargetStatus.PENDING,
        claim_token="",
        lease_until=None,
        queued_at=None,
        updated_at=timezone.now(),
    )
    try:
        publishing.post_schedule(post=post, by=by, at=at)
    except ValueError as exc:
        raise WorkflowError(str(exc)) from exc


@transaction.atomic
def post_request_changes(
    *, post: Post, by: User, comment: str, annotations: Sequence[dict] = ()
) -> Review:
    """Send the post back to its author with a comment and/or comments on parts of the text.

    `annotations` are {"start", "end", "text"} offsets into the body (see
    `annotations_from_excerpts` to build them from quoted excerpts).
    """
    post = _lock(post)
    _require_reviewer(post, by)
    _require_status(
        post, [PostStatus.IN_REVIEW], _("Changes can only be requested on a post in review.")
    )
    comment = comment.strip()[:MAX_REASON]
    cleaned = _clean_annotations(post.body, annotations)
    if not comment and not cleaned:
        raise WorkflowError(_("Say what should change: write a comment."))
    return _decide(
        post,
        by,
        decision=ReviewDecision.CHANGES_REQUESTED,
        status=PostStatus.CHANGES_REQUESTED,
        comment=comment,
        annotations=cleaned,
        message=_("Changes were requested on your post: %(post)s") % {"post": post},
    )


def _decide(
    post: Post,
    by: User,
    *,
    decision: str,
    status: str,
    comment: str,
    message: str,
    annotations: list[dict] | None = None,
) -> Review:
    """Record a supervisor's decision that ends the review round: the review, the post's new
    status, a notice to the author and the audit event."""
    review = Review.objects.create(
        agency_id=post.agency_id,
        post=post,
        reviewer=by,
        decision=decision,
        comment=comment,
        annotations=annotations or [],
        content_hash=content_hash(post),
    )
    post.status = status
    _touch(post, "status")
    notify(agency=post.agency, users=[post.author], message=message, link=_post_link(post))
    data = {"review": review.pk, "comment": comment, "content_hash": review.content_hash}
    if annotations is not None:
        data["annotations"] = len(annotations)
    audit_record(
        action=f"posts.review.{decision}", actor=by, agency=post.agency, target=post, data=data
    )
    return review


def _clean_annotations(body: str, annotations: Sequence[dict]) -> list[dict]:
    cleaned = []
    for item in annotations:
        try:
            start, end = int(item["start"]), int(item["end"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WorkflowError(_("A comment on the text has no position.")) from exc
        text = str(item.get("text", "")).strip()
        if not 0 <= start <= end <= len(body):
            raise WorkflowError(_("A comment on the text points outside the text."))
        if not text:
            raise WorkflowError(_("A comment on the text is empty."))
        cleaned.append({"start": start, "end": end, "text": text[:1000], "quote": body[start:end]})
    return cleaned


@transaction.atomic
def post_reject(*, post: Post, by: User, comment: str) -> Review:
    """Reject the post for good, with the reason. (A copy can be made to start again.)"""
    post = _lock(post)
    _require_reviewer(post, by)
    _require_status(post, [PostStatus.IN_REVIEW], _("Only a post in review can be rejected."))
    comment = comment.strip()[:MAX_REASON]
    if not comment:
        raise WorkflowError(_("Say why the post is rejected."))
    return _decide(
        post,
        by,
        decision=ReviewDecision.REJECTED,
        status=PostStatus.REJECTED,
        comment=comment,
        message=_("Your post was rejected: %(post)s") % {"post": post},
    )


# --- After approval -----------------------------------------------------------------------------


def _cancel_not_started(post: Post) -> list[int]:
    """Cancel the post's pending and queued targets; return their ids.

    A conditional update, done before looking for started targets: a publish task claims its
    row with queued -> publishing, so either it claimed first (and the caller sees a started
    target) or it finds the row cancelled and stops.
    """
    # Locked, so a claim arriving now waits for this transaction and then finds the row
    # cancelled; the ids returned are exactly the rows cancelled.
    ids = list(
        PostTarget.objects.select_for_update()
        .filter(post=post, status__in=NOT_STARTED)
        .values_list("pk", flat=True)
    )
    PostTarget.objects.filter(pk__in=ids, status__in=NOT_STARTED).update(
        status=TargetStatus.CANCELLED,
        claim_token="",
        lease_until=None,
        updated_at=timezone.now(),
    )
    return ids


@transaction.atomic
def post_send_back_to_review(*, post: Post, by: User | None, reason: str) -> Post:
    """An approved (or scheduled) post whose content changed goes back to the supervisors.

    Called by the editor's post_update when the content hash no longer matches the approved
    one. Earlier approvals stop counting, targets that have not started are cancelled (those
    publishing or published are left alone: they cannot be called back), the approved hash is
    cleared, and the supervisors are told.
    """
    post = _lock(post)
    _require_status(
        post,
        (*APPROVED_STATES, PostStatus.IN_REVIEW),
        _("Only an approved or scheduled post goes back to review."),
    )
    superseded = Review.objects.filter(
        post=post,
        decision__in=[ReviewDecision.APPROVED, ReviewDecision.OVERRIDE],
        superseded=False,
    ).update(superseded=True)
    cancelled = _cancel_not_started(post)
    started = list(
        PostTarget.objects.filter(post=post, status__in=STARTED).values_list("pk", flat=True)
    )
    old = post.status
    post.status = PostStatus.IN_REVIEW
    post.approved_hash = ""
    post.late_notified_at = None
    _touch(post, "status", "approved_hash", "late_notified_at")
    if old != PostStatus.IN_REVIEW:
        notify(
            agency=post.agency,
            users=_reviewers(post.agency_id, exclude=[by.pk] if by else []),
            message=_("Changed after approval, waiting for your review again: %(post)s")
            % {"post": post},
            link=_review_link(post),
        )
    audit_record(
        action="posts.post.sent_back_to_review",
        actor=by,
        agency=post.agency,
        target=post,
        data={
            "from": old,
            "reason": reason[:MAX_REASON],
            "superseded_reviews": superseded,
            "cancelled_targets": cancelled,
            "started_targets": started,
            "content_hash": content_hash(post),
        },
    )
    return post


@transaction.atomic
def post_cancel(*, post: Post, by: User, reason: str = "") -> Post:
    """Cancel an approved or scheduled post before anything of it goes out.

    Refused once any target is publishing or published: that cannot be called back.
    """
    post = _lock(post)
    _require_role(
        post, by, SUBMIT_ROLES, _("Only press officers, supervisors and admins cancel posts.")
    )
    _require_status(post, CANCELLABLE, _("Only an approved or scheduled post can be cancelled."))
    cancelled = _cancel_not_started(post)
    if PostTarget.objects.filter(post=post, status__in=STARTED).exists():
        # Raising rolls back the cancellations above.
        raise WorkflowError(
            _(
                "This post is already being published (or was published) to at least one "
                "account, so it can no longer be cancelled. Delete it on the platform instead."
            )
        )
    old = post.status
    post.status = PostStatus.CANCELLED
    _touch(post, "status")
    if by.pk != post.author_id:
        notify(
            agency=post.agency,
            users=[post.author],
            message=_("Your post was cancelled: %(post)s") % {"post": post},
            link=_post_link(post),
        )
    audit_record(
        action="posts.post.cancelled",
        actor=by,
        agency=post.agency,
        target=post,
        data={"from": old, "reason": reason.strip()[:MAX_REASON], "cancelled_targets": cancelled},
    )
    return post


@transaction.atomic
def post_reschedule(*, post: Post, by: User, at: datetime) -> Post:
    """Move a post to another time.

    Approved or scheduled: rescheduled through publishing.post_schedule (no new approval: the
    time is not part of the approved content; audited there). Refused once any target started.
    Not yet approved: only the wished-for time changes.
    """
    if timezone.is_naive(at):
        raise ValueError("Scheduled times must be timezone-aware.")
    post = _lock(post)
    _require_role(
        post, by, SUBMIT_ROLES, _("Only press officers, supervisors and admins reschedule posts.")
    )
    _require_status(
        post,
        (*UNAPPROVED_STATES, *APPROVED_STATES),
        _("This post can no longer be rescheduled."),
    )
    if at < timezone.now():
        raise WorkflowError(_("That time has passed. Choose a later time."))
    if post.status in APPROVED_STATES:
        # Queued targets were about to go out at the old time: put them back to wait (the
        # same conditional update as a cancel, so a claim that got there first wins).
        PostTarget.objects.filter(post=post, status=TargetStatus.QUEUED).update(
            status=TargetStatus.PENDING, updated_at=timezone.now()
        )
        if PostTarget.objects.filter(post=post, status__in=STARTED).exists():
            raise WorkflowError(
                _(
                    "This post is already being published (or was published) to at least one "
                    "account, so it can no longer be rescheduled."
                )
            )
        if post.status == PostStatus.SCHEDULED:
            # The accounts it was scheduled to, which the post page may have chosen
            # differently from the ones ticked in the editor.
            accounts = [
                t.account
                for t in PostTarget.objects.filter(
                    post=post, status=TargetStatus.PENDING
                ).select_related("account")
            ]
            if not accounts:
                raise WorkflowError(_("Nothing of this post is left waiting to be published."))
            try:
                publishing.post_schedule(post=post, by=by, at=at, accounts=accounts)
            except ValueError as exc:
                raise WorkflowError(str(exc)) from exc
        else:
            _schedule(post, by, at)
        post.refresh_from_db()
        return post
    old = post.scheduled_at
    post.scheduled_at = at
    post.late_notified_at = None
    _touch(post, "scheduled_at", "late_notified_at")
    audit_record(
        action="posts.post.rescheduled",
        actor=by,
        agency=post.agency,
        target=post,
        data={"from": old.isoformat() if old else None, "to": at.isoformat()},
    )
    return post


# --- Late reviews -------------------------------------------------------------------------------


def late_reviews_notify(*, now: datetime | None = None) -> int:
    """Tell every supervisor and admin of the agency, once, about each post in review that
    will miss its time (due within the agency's late warning, or overdue). Returns how many
    posts were reported. Run every minute by beat (posts.notify_late_reviews).
    """
    now = now or timezone.now()
    candidates = (
        Post.objects.filter(
            status=PostStatus.IN_REVIEW, scheduled_at__isnull=False, late_notified_at__isnull=True
        )
        .select_related("agency")
        .only("pk", "agency", "scheduled_at", "body", "status")
        .order_by("scheduled_at", "pk")
    )
    minutes: dict[int, int] = {}
    reported = 0
    for post in candidates.iterator(chunk_size=500):
        if post.agency_id not in minutes:
            minutes[post.agency_id] = approval_settings(post.agency).late_warning_minutes
        if is_late(post, now=now, warning_minutes=minutes[post.agency_id]):
            reported += _notify_late(post, now=now)
    return reported


@transaction.atomic
def _notify_late(post: Post, *, now: datetime) -> int:
    # The claim: whoever sets late_notified_at tells the supervisors; a second beat run (or a
    # post decided meanwhile) finds nothing to claim.
    claimed = Post.objects.filter(
        pk=post.pk, status=PostStatus.IN_REVIEW, late_notified_at__isnull=True
    ).update(late_notified_at=now)
    if claimed != 1:
        return 0
    due = timezone.localtime(post.scheduled_at, post.agency.tzinfo)
    people = _reviewers(post.agency_id)
    notify(
        agency=post.agency,
        users=people,
        message=_("Still waiting for review, due %(due)s: %(post)s")
        % {"due": due.strftime("%Y-%m-%d %H:%M %Z"), "post": post},
        link=_review_link(post),
    )
    audit_record(
        action="posts.post.late_notified",
        actor=None,
        agency=post.agency,
        target=post,
        data={"scheduled_at": post.scheduled_at.isoformat(), "notified": people.count()},
    )
    return 1


# --- Selectors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    post: Post
    late: bool
    approvals: int
    required: int
    own: bool


def review_queue(*, agency: Agency) -> QuerySet[Post]:
    """Posts of this agency waiting for review, oldest first, with their current approvals.

    Oldest by creation: Post has no "submitted at" of its own yet.
    """
    return (
        Post.objects.filter(agency=agency, status=PostStatus.IN_REVIEW)
        .select_related("author", "campaign")
        .annotate(
            approval_count=Count(
                "reviews",
                filter=Q(reviews__decision=ReviewDecision.APPROVED, reviews__superseded=False),
            )
        )
        .order_by("created_at", "pk")
    )


def queue_items(
    *, agency: Agency, user: User, posts: Iterable[Post], now: datetime | None = None
) -> list[QueueItem]:
    """Decorate a page of `review_queue` with the late flag and approvals needed."""
    now = now or timezone.now()
    rules = approval_settings(agency)
    return [
        QueueItem(
            post=post,
            late=is_late(post, now=now, warning_minutes=rules.late_warning_minutes),
            approvals=getattr(post, "approval_count", 0),
            required=approvals_required(post, rules),
            own=post.author_id == user.pk,
        )
        for post in posts
    ]


def review_post_get(*, agency: Agency, post_id: int) -> Post:
    """One post of this agency for the review page; 404 for another agency's."""
    return get_object_or_404(
        Post.objects.select_related("author", "campaign", "agency"), agency=agency, pk=post_id
    )


def reviews_for_post(*, post: Post) -> QuerySet[Review]:
    return Review.objects.filter(post=post, agency_id=post.agency_id).select_related("reviewer")


def current_approvers(*, post: Post) -> list[int]:
    """Ids of supervisors whose approval counts for the post's current content."""
    return list(
        Review.objects.filter(
            post=post,
            decision=ReviewDecision.APPROVED,
            superseded=False,
            content_hash=content_hash(post),
        ).values_list("reviewer_id", flat=True)
    )


# --- After publication --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeleteOutcome:
    deleted: list[str]  # accounts the post was removed from
    failed: list[tuple[str, str]]  # (account, the platform's message): still published there


def post_delete_from_platforms(*, post: Post, by: User, reason: str) -> DeleteOutcome:
    """Take a published post down from every platform it went to, with a reason.

    Each account is asked once, outside any transaction; each account's removal is recorded
    (and audited) as it succeeds, so a platform that refuses leaves that target published and
    the post can be taken down from the rest. A post already gone from the platform counts as
    deleted. Supervisors and admins only.
    """
    reason = reason.strip()[:MAX_REASON]
    with transaction.atomic():
        post = _lock(post)
        _require_reviewer(post, by)
        _require_status(
            post,
            [PostStatus.PUBLISHED, PostStatus.PARTLY_FAILED],
            _("Only a published post can be deleted from the platforms."),
        )
        if not reason:
            raise WorkflowError(_("Say why the post is being deleted."))
        targets = list(
            PostTarget.objects.filter(post=post, status=TargetStatus.PUBLISHED).select_related(
                "account"
            )
        )
    deleted, failed = [], []
    for target in targets:
        try:
            publishing.client_for_account(target.account).delete(target.external_id)
        except NotFound:
            pass  # gone already (deleted on the platform by hand): what we wanted
        except Rejected as exc:
            failed.append((str(target.account), exc.message))
            continue
        except (RateLimited, AuthExpired, Unavailable) as exc:
            failed.append((str(target.account), str(exc)))
            continue
        _record_target_deleted(target=target, by=by, reason=reason, agency=post.agency)
        deleted.append(str(target.account))
    with transaction.atomic():
        post = _lock(post)
        left = PostTarget.objects.filter(post=post, status=TargetStatus.PUBLISHED).exists()
        if deleted and not left:
            old = post.status
            post.status = PostStatus.DELETED
            _touch(post, "status")
            audit_record(
                action="posts.post.deleted",
                actor=by,
                agency=post.agency,
                target=post,
                data={"reason": reason, "from": old, "accounts": deleted},
            )
    return DeleteOutcome(deleted=deleted, failed=failed)


@transaction.atomic
def _record_target_deleted(*, target: PostTarget, by: User, reason: str, agency: Agency) -> None:
    updated = PostTarget.objects.filter(pk=target.pk, status=TargetStatus.PUBLISHED).update(
        status=TargetStatus.DELETED, updated_at=timezone.now()
    )
    if updated:
        audit_record(
            action="posts.target.deleted",
            actor=by,
            agency=agency,
            target=target,
            data={"external_id": target.external_id, "reason": reason},
        )
