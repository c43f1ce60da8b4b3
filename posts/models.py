"""Posts: drafts and their revisions, media, templates, policy rules, reviews, targets."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, PlatformAccount, User


class PostStyle(models.TextChoices):
    NARRATIVE = "narrative", _("Narrative")
    APPEAL = "appeal", _("Appeal for information")
    ANNOUNCEMENT = "announcement", _("Announcement")
    WARNING = "warning", _("Warning / alert")
    COMMUNITY = "community", _("Community")
    CAMPAIGN = "campaign", _("Campaign")


class PostKind(models.TextChoices):
    POST = "post", _("Post")
    # An answer from the inbox: published through the same targets, as a reply to a message.
    REPLY = "reply", _("Reply")


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    PARTLY_FAILED = "partly_failed", _("Partly failed")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    DELETED = "deleted", _("Deleted from the platforms")


class Post(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="posts")
    body = models.TextField(_("text"), max_length=10000)
    style = models.CharField(
        _("style"), max_length=16, choices=PostStyle.choices, default=PostStyle.NARRATIVE
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    kind = models.CharField(max_length=8, choices=PostKind.choices, default=PostKind.POST)
    # For a reply: the platform id of the message it answers (passed to the client as reply_to).
    in_reply_to_external_id = models.CharField(max_length=100, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    # The accounts ticked in the editor; scheduling creates one PostTarget per account.
    accounts = models.ManyToManyField(PlatformAccount, blank=True, related_name="+")
    # Optional text per platform ({"x": "...", "facebook": "..."}); the body is used otherwise.
    platform_texts = models.JSONField(_("text per platform"), default=dict, blank=True)
    location = models.CharField(_("location or district"), max_length=120, blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True, max_length=5000)
    # The content hash a supervisor approved (see posts.workflow.content_hash): an edit that
    # changes it sends the post back to review.
    approved_hash = models.CharField(max_length=64, blank=True, editable=False)
    # When the supervisors were told this post will miss its time while waiting for review.
    late_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["agency", "status", "-updated_at"], name="post_agency_status"),
            models.Index(fields=["agency", "scheduled_at"], name="post_agency_schedule"),
        ]

    def __str__(self) -> str:
        first_line = self.body.strip().splitlines()[0] if self.body.strip() else ""
        return first_line[:60]

    def text_for(self, platform: str) -> str:
        return (self.platform_texts or {}).get(platform) or self.body


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    DELETED = "deleted", _("Deleted from the platform")


TARGET_DONE = (
    TargetStatus.PUBLISHED,
    TargetStatus.FAILED,
    TargetStatus.CANCELLED,
    TargetStatus.DELETED,
)


class PostTarget(models.Model):
    """One post going to one platform account: the unit the dispatcher schedules.

    pending --dispatcher--> queued --task claim--> publishing --> published | failed, or back to
    pending (rate limit, transient error). The schedule lives here, in the database, never in a
    Celery ETA.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    # No index of its own: the unique (post, account) constraint below starts with it.
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets", db_index=False)
    account = models.ForeignKey(PlatformAccount, on_delete=models.PROTECT, related_name="targets")
    status = models.CharField(
        max_length=16, choices=TargetStatus.choices, default=TargetStatus.PENDING
    )
    due_at = models.DateTimeField()
    # When the dispatcher may next claim it: due_at, a rate limit's reset, or a backoff.
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    # Set by each claim; a result is recorded only by the holder of the current claim, so a
    # worker that outlived its lease cannot overwrite what the reconciler decided.
    claim_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # After an ambiguous failure (timeout, 5xx, killed worker) the platform may have the post:
    # look at the account's recent posts before sending again.
    needs_reconcile = models.BooleanField(default=False)
    external_id = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="target_one_per_account")
        ]
        # Partial indexes: the dispatcher only ever looks for rows in one of these states, and a
        # row's index entries are written only while it is in them (every status change of a
        # publishing target is an index write in each index whose condition the row meets).
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="target_due", condition=Q(status="pending")
            ),
            models.Index(fields=["queued_at"], name="target_queued", condition=Q(status="queued")),
            models.Index(
                fields=["lease_until"], name="target_lease", condition=Q(status="publishing")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.account}"


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Photo")
    GIF = "gif", _("GIF")
    VIDEO = "video", _("Video")


class PostMedia(models.Model):
    """A photo or video attached to a post, with its alt text (required for photos)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(_("file"), upload_to="media/%Y/%m/")
    kind = models.CharField(max_length=8, choices=MediaKind.choices, default=MediaKind.IMAGE)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField(default=0)
    alt_text = models.CharField(_("alt text"), max_length=1000, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.alt_text[:60] or self.file.name


class PostRevision(models.Model):
    """Every saved version of a post's content, numbered from 1; kept for comparison."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10000)
    platform_texts = models.JSONField(default=dict, blank=True)
    style = models.CharField(max_length=16, choices=PostStyle.choices)
    location = models.CharField(max_length=120, blank=True)
    campaign_id_at = models.BigIntegerField(null=True, blank=True)
    account_ids = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64)
    autosaved = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.post} r{self.number}"


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    OVERRIDE = "override", _("Policy finding overridden")


class Review(models.Model):
    """A supervisor's decision on one exact version of a post."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    # Comments on the text: [{"start": int, "end": int, "text": str}], offsets into the body.
    annotations = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64)
    # Set when a later edit or a new review round made this decision no longer count.
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer}"


class PolicyRuleKind(models.TextChoices):
    BLOCKED_TERM = "blocked_term", _("Blocked term")
    REQUIRED_TERM = "required_term", _("Required term")
    REQUIRED_HASHTAG = "required_hashtag", _("Required hashtag")
    REQUIRED_DISCLAIMER = "required_disclaimer", _("Required disclaimer")
    REGEX = "regex", _("Regular expression")
    DETECTOR_PHONE = "detector_phone", _("Detector: phone numbers")
    DETECTOR_EMAIL = "detector_email", _("Detector: e-mail addresses")
    DETECTOR_NATIONAL_ID = "detector_national_id", _("Detector: national ID numbers")
    DETECTOR_VEHICLE_PLATE = "detector_vehicle_plate", _("Detector: vehicle plates")
    DETECTOR_DATE_OF_BIRTH = "detector_date_of_birth", _("Detector: dates of birth")
    DETECTOR_STREET_ADDRESS = "detector_street_address", _("Detector: street addresses")


class PolicySeverity(models.TextChoices):
    BLOCK = "block", _("Blocks submission")
    WARN = "warn", _("Warns")


class PolicyRule(models.Model):
    """One rule of an agency's written policy, applied to every post's text.

    Built-in detectors apply to every agency; a rule of a detector kind changes its severity
    or message, lists public values it must not flag (terms), or switches it off.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="policy_rules")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=PolicyRuleKind.choices)
    severity = models.CharField(
        _("severity"), max_length=8, choices=PolicySeverity.choices, default=PolicySeverity.WARN
    )
    message = models.CharField(_("message"), max_length=300, blank=True)
    terms = models.JSONField(_("terms"), default=list, blank=True)
    pattern = models.CharField(_("regular expression"), max_length=500, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class PostTemplate(models.Model):
    """An agency's reusable draft, e.g. "missing person appeal", with {placeholders}."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="post_templates")
    name = models.CharField(_("name"), max_length=120)
    body = models.TextField(_("text"), max_length=10000)
    style = models.CharField(
        _("style"), max_length=16, choices=PostStyle.choices, default=PostStyle.NARRATIVE
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="template_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ApprovalSettings(models.Model):
    """An agency's approval rules beyond four-eyes (which always applies)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="approval")
    two_approvals_for_warnings = models.BooleanField(
        _("two approvals for warnings / alerts"), default=False
    )
    two_approvals_for_campaigns = models.BooleanField(
        _("two approvals for campaign posts"), default=False
    )
    # Tell the supervisors when a post in review is this close to its time (or past it).
    late_warning_minutes = models.PositiveIntegerField(_("late warning (minutes)"), default=30)

    def __str__(self) -> str:
        return f"approval settings of {self.agency}"
