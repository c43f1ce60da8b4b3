"""Reads for the inbox and dashboards, scoped to one agency."""

from __future__ import annotations

from django.db.models import Count

from accounts.models import Agency, PlatformAccount
from campaigns.models import Campaign
from posts.models import Post


def agency_overview(*, agency: Agency) -> dict:
    """Counts that exist before metrics are collected: posts by status, accounts, campaigns."""
    by_status = dict(
        Post.objects.filter(agency=agency).values_list("status").annotate(n=Count("id")).order_by()
    )
    return {
        "posts_by_status": by_status,
        "posts_total": sum(by_status.values()),
        "accounts": PlatformAccount.objects.filter(agency=agency).count(),
        "campaigns": Campaign.objects.filter(agency=agency).count(),
    }
