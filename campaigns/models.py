"""Hashtag campaigns. The monitoring and reports arrive with the campaigns issue."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, User


class Campaign(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Space-separated, each with its leading '#', e.g. "#부산경찰 #StaySafe".
    hashtags = models.CharField(_("hashtags"), max_length=500, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def hashtag_list(self) -> list[str]:
        return self.hashtags.split()
