"""State changes of campaigns. Monitoring and reports arrive with the campaigns issue."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Agency, User
from campaigns.models import Campaign


@transaction.atomic
def campaign_create(
    *,
    agency: Agency,
    by: User,
    name: str,
    starts_on: date,
    ends_on: date,
    hashtags: str = "",
    description: str = "",
) -> Campaign:
    """Create a campaign owned by its creator."""
    campaign = Campaign(
        agency=agency,
        name=name,
        description=description,
        hashtags=hashtags,
        starts_on=starts_on,
        ends_on=ends_on,
        owner=by,
    )
    campaign.full_clean()
    campaign.save()
    audit_record(
        action="campaigns.campaign.created",
        actor=by,
        agency=agency,
        target=campaign,
        data={"hashtags": campaign.hashtag_list},
    )
    return campaign
