"""The approval pages: the supervisors' queue, the review page and its decisions, and the
submit, cancel and reschedule actions. Thin: validate a form, call one posts.workflow service,
redirect with a message. Every post is loaded through a selector scoped to request.agency.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.access import role_required
from accounts.forms import OwnIdsForm
from accounts.models import Platform
from accounts.views import paginate
from posts import workflow
from posts.checks import blocking, content_hash, findings_for, post_findings
from posts.models import Post, PostRevision, PostStatus, Review, ReviewDecision
from posts.policy import BLOCK, Finding

ANNOTATION_ROWS = 3
MAX_ANNOTATIONS = 30
_PLATFORM_NAMES = dict(Platform.choices)

_TIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _not_past(value):
    # Times are read in the agency's time zone, which the middleware activated.
    if value is not None and value < timezone.now():
        raise forms.ValidationError(_("That time has passed. Choose a later time."))
    return value


# --- Forms --------------------------------------------------------------------------------------


class SubmitForm(OwnIdsForm):
    id_prefix = "submit"

    override_reason = forms.CharField(
        label=gettext_lazy("Reason to override the policy findings"),
        required=False,
        max_length=workflow.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Supervisors and admins only. Recorded in the audit trail."),
    )


class ApproveForm(OwnIdsForm):
    id_prefix = "approve"

    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=workflow.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Reason to override the blocking findings"),
        required=False,
        max_length=workflow.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required to approve a post with blocking findings. Audited."),
    )
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at (optional)"),
        required=False,
        widget=_TIME_WIDGET,
        input_formats=_TIME_FORMATS,
        help_text=gettext_lazy(
            "In the agency's time zone. Empty: the post's own time, if it has one."
        ),
    )

    def __init__(self, *args, needs_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_override = needs_override
        if not needs_override:
            del self.fields["override_reason"]

    def clean_publish_at(self):
        return _not_past(self.cleaned_data.get("publish_at"))

    def clean(self):
        data = super().clean()
        if self.needs_override and not (data.get("override_reason") or "").strip():
            self.add_error(
                "override_reason",
                _("This post has blocking findings: give a reason to approve it anyway."),
            )
        return data


class RequestChangesForm(OwnIdsForm):
    """A comment, plus comments on quoted parts of the text (repeated excerpt / note fields)."""

    id_prefix = "changes"

    comment = forms.CharField(
        label=gettext_lazy("What should change"),
        required=False,
        max_length=workflow.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, post: Post, **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post
        excerpts = self.data.getlist("excerpt") if self.is_bound else []
        notes = self.data.getlist("note") if self.is_bound else []
        # Enough rows to show back what was sent, within reason.
        excerpts, notes = excerpts[:MAX_ANNOTATIONS], notes[:MAX_ANNOTATIONS]
        width = max(len(excerpts), len(notes), ANNOTATION_ROWS)
        excerpts += [""] * (width - len(excerpts))
        notes += [""] * (width - len(notes))
        self.rows = list(zip(excerpts, notes, strict=True))

    def clean(self):
        data = super().clean()
        try:
            data["annotations"] = workflow.annotations_from_excerpts(self.post.body, self.rows)
        except workflow.WorkflowError as exc:
            raise forms.ValidationError(exc.message) from exc
        if not (data.get("comment") or "").strip() and not data["annotations"]:
            raise forms.ValidationError(_("Say what should change: write a comment."))
        return data


class RejectForm(OwnIdsForm):
    id_prefix = "reject"

    comment = forms.CharField(
        label=gettext_lazy("Why is it rejected?"),
        max_length=workflow.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(OwnIdsForm):
    id_prefix = "cancel"

    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        required=False,
        max_length=workflow.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RescheduleForm(OwnIdsForm):
    id_prefix = "reschedule"

    at = forms.DateTimeField(
        label=gettext_lazy("New time"),
        widget=_TIME_WIDGET,
        input_formats=_TIME_FORMATS,
        help_text=gettext_lazy("In the agency's time zone."),
    )

    def clean_at(self):
        return _not_past(self.cleaned_data.get("at"))


# --- Presentation -------------------------------------------------------------------------------


def _with_breaks(text: str) -> str:
    return escape(text).replace("\n", "<br>\n")


def highlight(text: str, findings: Iterable[Finding]) -> SafeString:
    """The text, escaped, with each finding's span wrapped in <mark>; overlapping spans merge.

    Offsets are str indices (posts.policy), so slicing the same str is exact.
    """
    spans = sorted((f.start, f.end, f) for f in findings if 0 <= f.start < f.end <= len(text))
    merged: list[list] = []
    for start, end, finding in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].append(finding)
        else:
            merged.append([start, end, [finding]])
    parts, pos = [], 0
    for start, end, group in merged:
        parts.append(_with_breaks(text[pos:start]))
        severity = "block" if any(f.severity == BLOCK for f in group) else "warn"
        title = " · ".join(dict.fromkeys(str(f.message) for f in group))
        parts.append(
            format_html(
                '<mark class="finding-{}" title="{}">{}</mark>',
                severity,
                title,
                mark_safe(_with_breaks(text[start:end])),  # noqa: S308 (escaped just above)
            )
        )
        pos = end
    parts.append(_with_breaks(text[pos:]))
    return mark_safe("".join(parts))  # noqa: S308 (every piece escaped above)


_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> SafeString:
    """`new` with words removed since `old` in <del> and words added in <ins>, escaped."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(_with_breaks("".join(b[j1:j2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{_with_breaks(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{_with_breaks(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece escaped above)


@dataclass
class TextBlock:
    label: str
    html: SafeString
    findings: list[Finding]


@dataclass
class Diff:
    revision: PostRevision
    since_approval: bool
    blocks: list[tuple[str, SafeString]]


def _texts(post: Post) -> list[TextBlock]:
    hashtags = post.campaign.hashtag_list if post.campaign_id else []
    blocks = []
    texts = [(_("Main text"), post.body)]
    texts += [
        (_("Text for %(platform)s") % {"platform": _PLATFORM_NAMES.get(key, key)}, body)
        for key, body in sorted((post.platform_texts or {}).items())
        if body
    ]
    for label, text in texts:
        found = findings_for(agency=post.agency, text=text, campaign_hashtags=hashtags)
        blocks.append(TextBlock(label=label, html=highlight(text, found), findings=found))
    return blocks


def _diff(post: Post, reviews: Sequence[Review]) -> Diff | None:
    """Against the content last approved if that differs from now, else the previous version."""
    revisions = PostRevision.objects.filter(post=post).order_by("-number")
    current = content_hash(post)
    base, since_approval = None, False
    approved = [r.content_hash for r in reviews if r.decision == ReviewDecision.APPROVED]
    if approved and approved[0] != current:
        base = revisions.filter(content_hash=approved[0]).first()
        since_approval = base is not None
    if base is None:
        others = revisions.exclude(content_hash=current)
        base = others.filter(autosaved=False).first() or others.first()
    if base is None:
        return None
    blocks = [(_("Main text"), word_diff(base.body, post.body))]
    old_texts, new_texts = base.platform_texts or {}, post.platform_texts or {}
    for key in sorted(set(old_texts) | set(new_texts)):
        old, new = old_texts.get(key) or "", new_texts.get(key) or ""
        if old != new:
            label = _("Text for %(platform)s") % {"platform": _PLATFORM_NAMES.get(key, key)}
            blocks.append((label, word_diff(old, new)))
    return Diff(revision=base, since_approval=since_approval, blocks=blocks)


def _safe_next(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


def _detail_url(post: Post) -> str:
    return reverse("posts:detail", args=[post.pk])


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M %Z")


# --- Pages --------------------------------------------------------------------------------------


@role_required(section="approvals")
def review_queue(request: HttpRequest) -> HttpResponse:
    """Posts waiting for review, oldest first, with their due time and a late flag."""
    page = paginate(request, workflow.review_queue(agency=request.agency))
    items = workflow.queue_items(agency=request.agency, user=request.user, posts=page.object_list)
    return render(request, "posts/review_queue.html", {"page": page, "items": items})


@role_required(section="approvals")
def review(request: HttpRequest, post_id: int) -> HttpResponse:
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    return _render_review(request, post)


def _render_review(
    request: HttpRequest,
    post: Post,
    *,
    approve_form: ApproveForm | None = None,
    changes_form: RequestChangesForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    reviews = list(workflow.reviews_for_post(post=post))
    blocking_findings = blocking(post_findings(post))
    approvers = workflow.current_approvers(post=post)
    own = post.author_id == request.user.pk
    in_review = post.status == PostStatus.IN_REVIEW
    can_decide = in_review and not own
    rules = workflow.approval_settings(request.agency)
    texts = _texts(post)
    context = {
        "post": post,
        "texts": texts,
        "finding_count": sum(len(block.findings) for block in texts),
        "blocking": blocking_findings,
        "media": list(post.media.all()),
        "accounts": list(post.accounts.all()),
        "targets": list(post.targets.select_related("account")),
        "reviews": reviews,
        "diff": _diff(post, reviews),
        "own": own,
        "can_decide": can_decide,
        "already_approved": request.user.pk in approvers,
        "approvals": len(approvers),
        "required": workflow.approvals_required(post, rules),
        "late": in_review
        and workflow.is_late(post, now=timezone.now(), warning_minutes=rules.late_warning_minutes),
        "can_submit": post.status in workflow.SUBMITTABLE,
        "submit_form": SubmitForm() if blocking_findings else None,
        "can_cancel": post.status in workflow.CANCELLABLE,
        "can_reschedule": post.status in (*workflow.UNAPPROVED_STATES, *workflow.APPROVED_STATES),
        "reschedule_form": RescheduleForm(initial={"at": post.scheduled_at}),
    }
    if can_decide:
        context["approve_form"] = approve_form or ApproveForm(
            needs_override=bool(blocking_findings)
        )
        context["changes_form"] = changes_form or RequestChangesForm(post=post)
        context["reject_form"] = reject_form or RejectForm()
    return render(request, "posts/review.html", context, status=status)


# --- Actions ------------------------------------------------------------------------------------


@require_POST
@role_required(section="drafts")
def submit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    back = _safe_next(request, _detail_url(post))
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        workflow.post_submit(
            post=post,
            by=request.user,
            override_reason=form.cleaned_data.get("override_reason") or "",
        )
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Submitted for review. The supervisors have been told."))
    return redirect(back)


@require_POST
@role_required(section="approvals")
def approve(request: HttpRequest, post_id: int) -> HttpResponse:
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    form = ApproveForm(request.POST, needs_override=bool(blocking(post_findings(post))))
    if not form.is_valid():
        return _render_review(request, post, approve_form=form, status=400)
    try:
        outcome = workflow.post_approve(
            post=post,
            by=request.user,
            comment=form.cleaned_data["comment"],
            override_reason=form.cleaned_data.get("override_reason") or "",
            publish_at=form.cleaned_data["publish_at"],
        )
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("posts:review", post_id=post.pk)
    if not outcome.approved:
        messages.success(
            request,
            _(
                "Your approval is recorded (%(n)d of %(required)d). Another supervisor must approve it too."
            )
            % {"n": outcome.approvals, "required": outcome.required},
        )
    elif outcome.scheduled_at is not None:
        messages.success(
            request, _("Approved and scheduled for %(at)s.") % {"at": _local(outcome.scheduled_at)}
        )
    elif outcome.needs_accounts:
        messages.warning(
            request,
            _(
                "Approved. It has no accounts to publish to yet: pick the accounts on the post's "
                "page to schedule it."
            ),
        )
    else:
        messages.success(request, _("Approved. It can now be scheduled."))
    return redirect("posts:review_queue")


@require_POST
@role_required(section="approvals")
def request_changes(request: HttpRequest, post_id: int) -> HttpResponse:
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    form = RequestChangesForm(request.POST, post=post)
    if not form.is_valid():
        return _render_review(request, post, changes_form=form, status=400)
    try:
        workflow.post_request_changes(
            post=post,
            by=request.user,
            comment=form.cleaned_data["comment"],
            annotations=form.cleaned_data["annotations"],
        )
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("posts:review", post_id=post.pk)
    messages.success(request, _("Sent back to the author with your comments."))
    return redirect("posts:review_queue")


@require_POST
@role_required(section="approvals")
def reject(request: HttpRequest, post_id: int) -> HttpResponse:
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _render_review(request, post, reject_form=form, status=400)
    try:
        workflow.post_reject(post=post, by=request.user, comment=form.cleaned_data["comment"])
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("posts:review", post_id=post.pk)
    messages.success(request, _("Rejected. The author has been told why."))
    return redirect("posts:review_queue")


@role_required(section="drafts")
def cancel(request: HttpRequest, post_id: int) -> HttpResponse:
    """A confirmation page (GET), then the cancellation (POST)."""
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    status = 200
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                workflow.post_cancel(post=post, by=request.user, reason=form.cleaned_data["reason"])
            except workflow.WorkflowError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Cancelled. Nothing of it will be published."))
            return redirect(_detail_url(post))
        status = 400
    elif post.status not in workflow.CANCELLABLE:
        messages.error(request, _("Only an approved or scheduled post can be cancelled."))
        return redirect(_detail_url(post))
    else:
        form = CancelForm()
    return render(
        request,
        "posts/review_confirm_cancel.html",
        {"post": post, "form": form, "targets": list(post.targets.select_related("account"))},
        status=status,
    )


class DeleteForm(OwnIdsForm):
    id_prefix = "delete"

    reason = forms.CharField(
        label=gettext_lazy("Why is it being deleted?"),
        max_length=workflow.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the audit trail."),
    )


@role_required(section="approvals")
def delete_published(request: HttpRequest, post_id: int) -> HttpResponse:
    """A confirmation page (GET), then the removal from every platform (POST)."""
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    status = 200
    if request.method == "POST":
        form = DeleteForm(request.POST)
        if form.is_valid():
            try:
                outcome = workflow.post_delete_from_platforms(
                    post=post, by=request.user, reason=form.cleaned_data["reason"]
                )
            except workflow.WorkflowError as exc:
                messages.error(request, exc.message)
            else:
                if outcome.deleted:
                    messages.success(
                        request,
                        _("Deleted from %(accounts)s.") % {"accounts": ", ".join(outcome.deleted)},
                    )
                for account, problem in outcome.failed:
                    messages.error(
                        request,
                        _("Still published on %(account)s: %(problem)s")
                        % {"account": account, "problem": problem},
                    )
            return redirect(_detail_url(post))
        status = 400
    elif post.status not in (PostStatus.PUBLISHED, PostStatus.PARTLY_FAILED):
        messages.error(request, _("Only a published post can be deleted from the platforms."))
        return redirect(_detail_url(post))
    else:
        form = DeleteForm()
    return render(
        request,
        "posts/review_confirm_delete.html",
        {"post": post, "form": form, "targets": list(post.targets.select_related("account"))},
        status=status,
    )


@require_POST
@role_required(section="drafts")
def reschedule(request: HttpRequest, post_id: int) -> HttpResponse:
    post = workflow.review_post_get(agency=request.agency, post_id=post_id)
    back = _safe_next(request, _detail_url(post))
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        post = workflow.post_reschedule(post=post, by=request.user, at=form.cleaned_data["at"])
    except workflow.WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Moved to %(at)s.") % {"at": _local(post.scheduled_at)})
    return redirect(back)
