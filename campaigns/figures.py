"""A campaign's figures against its goal.

`goal_progress` is the arithmetic (pure: no database). `campaign_figures` reads the figures of
several campaigns at once, for the campaign pages and for the analytics dashboards that show
campaigns side by side; it costs four queries whatever the number of campaigns.

Our posts' figures come from engagement.TargetMetrics (the latest reading of each published
target): reach is the sum of impressions, engagements the sum of likes, replies, shares and
quotes. Public uses are the public posts that used a campaign hashtag during the campaign
(campaigns.PublicUse), each counted once however many of the hashtags it carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce, Concat, NullIf

GOAL_KINDS = ("reach", "engagements", "public_uses")


@dataclass(frozen=True)
class GoalProgress:
    kind: str
    target: int | None
    value: int
    # value / target as a percentage, rounded down to one decimal (so 100.0 means reached);
    # may pass 100. None without a target.
    percent: float | None
    # What a <progress max=target> shows: the value, capped at the target.
    bar_value: int
    remaining: int
    reached: bool


def goal_value(kind: str, *, impressions: int, engagements: int, public_uses: int) -> int:
    """The figure a goal of `kind` is measured by."""
    values = {"reach": impressions, "engagements": engagements, "public_uses": public_uses}
    if kind not in values:
        raise ValueError(f"unknown goal kind {kind!r}")
    return max(0, int(values[kind]))


def goal_progress(
    kind: str, target: int | None, *, impressions: int, engagements: int, public_uses: int
) -> GoalProgress:
    """How far a campaign is towards its goal. A target of None or 0 gives no percentage."""
    value = goal_value(
        kind, impressions=impressions, engagements=engagements, public_uses=public_uses
    )
    if not target or target < 0:
        return GoalProgress(
            kind=kind,
            target=None,
            value=value,
            percent=None,
            bar_value=value,
            remaining=0,
            reached=False,
        )
    # Integer arithmetic, rounded down: 99.96% is 99.9, never a premature 100.0.
    percent = (value * 1000 // target) / 10
    return GoalProgress(
        kind=kind,
        target=target,
        value=value,
        percent=percent,
        bar_value=min(value, target),
        remaining=max(0, target - value),
        reached=value >= target,
    )


def cumulative(values: Iterable[int]) -> list[int]:
    """Running totals: the goal chart's line."""
    out: list[int] = []
    total = 0
    for value in values:
        total += value
        out.append(total)
    return out


def author_key(prefix: str = ""):
    """Who wrote a public post: the platform and its id for the person, or the handle (or name)
    where the platform gave no id."""
    return Concat(
        F(prefix + "platform"),
        Value(":"),
        Coalesce(
            NullIf(F(prefix + "author_external_id"), Value("")),
            NullIf(F(prefix + "author_handle"), Value("")),
            F(prefix + "author_name"),
        ),
    )


def campaign_figures(*, agency: Any, campaign_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Figures of the agency's campaigns among `campaign_ids`, keyed by campaign id.

    Each value: posts (our published posts in the campaign), impressions, engagements,
    public_uses, public_authors (distinct people who used the hashtags), goal_kind,
    goal_target, goal_value, goal_percent, goal_reached. Ids of another agency's campaigns,
    or of none, are left out.
    """
    from campaigns.models import Campaign, PublicUse
    from engagement.models import TargetMetrics
    from posts.models import PostTarget, TargetStatus

    ids = sorted({int(i) for i in campaign_ids})
    if not ids:
        return {}
    campaigns = list(
        Campaign.objects.filter(agency=agency, pk__in=ids).values("pk", "goal_kind", "goal_target")
    )
    ids = [c["pk"] for c in campaigns]
    if not ids:
        return {}
    posts = dict(
        PostTarget.objects.filter(
            agency=agency, post__campaign_id__in=ids, status=TargetStatus.PUBLISHED
        )
        .values("post__campaign_id")
        .annotate(n=Count("post_id", distinct=True))
        .values_list("post__campaign_id", "n")
    )
    metrics = {
        row["post__campaign_id"]: row
        for row in TargetMetrics.objects.filter(agency=agency, post__campaign_id__in=ids)
        .values("post__campaign_id")
        .annotate(impressions=Sum("impressions"), engagements=Sum("engagements"))
    }
    uses = {
        row["campaign_id"]: row
        for row in PublicUse.objects.filter(agency=agency, campaign_id__in=ids)
        .values("campaign_id")
        .annotate(n=Count("id"), authors=Count(author_key("public_post__"), distinct=True))
    }
    out: dict[int, dict[str, Any]] = {}
    for campaign in campaigns:
        pk = campaign["pk"]
        impressions = int((metrics.get(pk) or {}).get("impressions") or 0)
        engagements = int((metrics.get(pk) or {}).get("engagements") or 0)
        public_uses = int((uses.get(pk) or {}).get("n") or 0)
        progress = goal_progress(
            campaign["goal_kind"],
            campaign["goal_target"],
            impressions=impressions,
            engagements=engagements,
            public_uses=public_uses,
        )
        out[pk] = {
            "posts": int(posts.get(pk, 0)),
            "impressions": impressions,
            "engagements": engagements,
            "public_uses": public_uses,
            "public_authors": int((uses.get(pk) or {}).get("authors") or 0),
            "goal_kind": campaign["goal_kind"],
            "goal_target": progress.target,
            "goal_value": progress.value,
            "goal_percent": progress.percent,
            "goal_reached": progress.reached,
        }
    return out


def progress_dict(progress: GoalProgress) -> dict[str, Any]:
    return asdict(progress)
