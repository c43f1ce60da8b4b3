"""Posts. Drafting, policy, approval and targets grow here in the posts and publishing issues."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, User


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
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


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
