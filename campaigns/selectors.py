"""Reads of campaigns, their public uses and the monitoring board, always scoped to one agency.

Another agency's campaign or column is a 404, never a 403: its existence is not disclosed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Max, Min, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Agency
from campaigns.figures import author_key
from campaigns.models import Campaign, ColumnMatch, GoalKind, MonitorColumn, PublicUse
from engagement.models import TargetMetrics
from posts.models import PostTarget, TargetStatus

MAX_TIMELINE_DAYS = 366


def campaigns_for_agency(*, agency: Agency) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(agency=agency)
        .select_related("owner")
        .annotate(post_count=Count("posts"))
        .order_by("-starts_on", "name")
    )


def campaign_get(*, agency: Agency, campaign_id: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("owner", "agency"), agency=agency, pk=campaign_id
    )


# --- The campaign page and report ---------------------------------------------------------


def timeline_days(campaign: Campaign, *, today: date | None = None) -> list[date]:
    """The campaign's days so far (all of them once it ended), at most a year."""
    today = today or timezone.localdate(timezone=campaign.agency.tzinfo)
    last = min(campaign.ends_on, today)
    if last < campaign.starts_on:
        return []
    count = min(MAX_TIMELINE_DAYS, (last - campaign.starts_on).days + 1)
    return [campaign.starts_on + timedelta(days=i) for i in range(count)]


def _per_day(rows: QuerySet, days: list[date]) -> list[int]:
    """Values keyed by day onto `days`; earlier days count on the first, later on the last."""
    if not days:
        return []
    index = {day: i for i, day in enumerate(days)}
    out = [0] * len(days)
    for day, n in rows:
        if day is None:
            continue
        if day < days[0]:
            i = 0
        elif day > days[-1]:
            i = len(days) - 1
        else:
            i = index[day]
        out[i] += int(n or 0)
    return out


def campaign_timeline(*, campaign: Campaign, today: date | None = None) -> dict[str, Any]:
    """Per day: our posts published, the public's uses, and the goal's figure on that day.

    Reach and engagements are read from each post's latest figures and put on the day it was
    published (metrics are not kept per day), so the goal line shows them by publication day.
    """
    tz = campaign.agency.tzinfo
    days = timeline_days(campaign, today=today)
    posts = _per_day(
        PostTarget.objects.filter(
            agency_id=campaign.agency_id,
            post__campaign=campaign,
            status=TargetStatus.PUBLISHED,
            published_at__isnull=False,
        )
        .annotate(day=TruncDate("published_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("post_id", distinct=True))
        .values_list("day", "n"),
        days,
    )
    uses = _per_day(
        PublicUse.objects.filter(campaign=campaign)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n"),
        days,
    )
    if campaign.goal_kind == GoalKind.PUBLIC_USES:
        goal = uses
    else:
        field = "impressions" if campaign.goal_kind == GoalKind.REACH else "engagements"
        goal = _per_day(
            TargetMetrics.objects.filter(agency_id=campaign.agency_id, post__campaign=campaign)
            .annotate(day=TruncDate("published_at", tzinfo=tz))
            .values("day")
            .annotate(n=Sum(field))
            .values_list("day", "n"),
            days,
        )
    return {"days": days, "posts": posts, "uses": uses, "goal": goal}


def top_contributors(*, campaign: Campaign, limit: int = 10) -> list[dict[str, Any]]:
    """The people who used the campaign's hashtags most, with the reach of those posts."""
    post = "public_post__"
    return list(
        PublicUse.objects.filter(campaign=campaign)
        .values(author=author_key(post))
        .annotate(
            platform=Max(post + "platform"),
            author_id=Max(post + "author_external_id"),
            uses=Count("id"),
            handle=Max(post + "author_handle"),
            name=Max(post + "author_name"),
            impressions=Sum(post + "impressions"),
            engagements=Sum(
                F(post + "likes") + F(post + "replies") + F(post + "shares") + F(post + "quotes")
            ),
            last_at=Max("created_at"),
        )
        .order_by("-uses", "-engagements", "author")[:limit]
    )


def best_posts(*, campaign: Campaign, limit: int = 10) -> list[dict[str, Any]]:
    """Our campaign posts with the most engagements (then impressions), all accounts summed."""
    rows = list(
        TargetMetrics.objects.filter(agency_id=campaign.agency_id, post__campaign=campaign)
        .values("post_id")
        .annotate(
            body=Max("post__body"),
            impressions=Sum("impressions"),
            engagements=Sum("engagements"),
            accounts=Count("target_id"),
            published_at=Min("published_at"),
        )
        .order_by("-engagements", "-impressions", "post_id")[:limit]
    )
    for row in rows:
        impressions = int(row["impressions"] or 0)
        row["rate"] = (
            (int(row["engagements"] or 0) * 1000 // impressions) / 10 if impressions else None
        )
    return rows


def public_uses(*, campaign: Campaign) -> QuerySet[PublicUse]:
    """The campaign's public uses, newest post first."""
    return (
        PublicUse.objects.filter(campaign=campaign)
        .select_related("public_post")
        .order_by("-created_at", "-id")
    )


def recent_uses(*, campaign: Campaign, limit: int = 20) -> list[PublicUse]:
    return list(public_uses(campaign=campaign)[:limit])


# --- The monitoring board ---------------------------------------------------------------------


def monitor_columns(*, agency: Agency) -> list[MonitorColumn]:
    return list(
        MonitorColumn.objects.filter(agency=agency)
        .prefetch_related("accounts")
        .order_by("position", "pk")
    )


def monitor_column_get(*, agency: Agency, column_id: int) -> MonitorColumn:
    return get_object_or_404(
        MonitorColumn.objects.select_related("agency"), agency=agency, pk=column_id
    )


def column_matches(*, column: MonitorColumn) -> QuerySet[ColumnMatch]:
    """A column's matches, newest post first (its index)."""
    return (
        ColumnMatch.objects.filter(column=column)
        .select_related("public_post")
        .order_by("-created_at", "-id")
    )
