"""Posts. Drafting, policy, approval and targets grow here in the posts and publishing issues."""

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


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    PARTLY_FAILED = "partly_failed", _("Partly failed")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class Post(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="posts")
    body = models.TextField(_("text"), max_length=10000)
    style = models.CharField(
        _("style"), max_length=16, choices=PostStyle.choices, default=PostStyle.NARRATIVE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    # The accounts ticked in the editor; scheduling creates one PostTarget per account.
    accounts = models.ManyToManyField(PlatformAccount, blank=True, related_name="+")
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


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    QUEUED = "queued", _("Queued")
    PUBLISHING = "publishing", _("Publishing")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


TARGET_DONE = (TargetStatus.PUBLISHED, TargetStatus.FAILED, TargetStatus.CANCELLED)


class PostTarget(models.Model):
    """One post going to one platform account: the unit the dispatcher schedules.

    pending --dispatcher--> queued --task claim--> publishing --> published | failed, or back to
    pending (rate limit, transient error). The schedule lives here, in the database, never in a
    Celery ETA.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    # No index of its own: the unique (post, account) constraint below starts with it.
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="targets", db_index=False
    )
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
