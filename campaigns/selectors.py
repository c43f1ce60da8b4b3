from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Agency
from campaigns.models import Campaign


def campaigns_for_agency(*, agency: Agency) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(agency=agency)
        .select_related("owner")
        .annotate(post_count=Count("posts"))
        .order_by("-starts_on", "name")
    )


def campaign_get(*, agency: Agency, campaign_id: int) -> Campaign:
    return get_object_or_404(Campaign, agency=agency, pk=campaign_id)
