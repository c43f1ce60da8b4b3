"""What the campaign page and the leadership report show, in one place for HTML, CSV and PDF.

`campaign_report` reads everything once (campaigns.figures and campaigns.selectors); the
HTML page, `report_csv` and campaigns.report_pdf only lay it out, so the three never disagree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import selectors
from campaigns.figures import GoalProgress, campaign_figures, cumulative, goal_progress
from campaigns.models import Campaign, GoalKind

CONTRIBUTORS = 10
BEST_POSTS = 10


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    figures: dict[str, Any]
    progress: GoalProgress
    days: list[date]
    posts_per_day: list[int]
    uses_per_day: list[int]
    goal_per_day: list[int]
    contributors: list[dict[str, Any]]
    best_posts: list[dict[str, Any]]
    generated_at: datetime

    @property
    def goal_cumulative(self) -> list[int]:
        return cumulative(self.goal_per_day)

    @property
    def goal_label(self) -> str:
        return str(GoalKind(self.campaign.goal_kind).label)

    def timeline_rows(self) -> list[tuple[date, int, int, int]]:
        return list(
            zip(
                self.days,
                self.posts_per_day,
                self.uses_per_day,
                self.goal_cumulative,
                strict=True,
            )
        )

    def timeline_chart(self) -> dict[str, Any]:
        """The spec static/js/charts.js draws (see its header)."""
        return {
            "type": "bar",
            "labels": [d.isoformat() for d in self.days],
            "datasets": [
                {"label": _("Our posts"), "data": self.posts_per_day},
                {"label": _("Public uses"), "data": self.uses_per_day, "axis": "y2"},
            ],
            "y2": True,
        }

    def goal_chart(self) -> dict[str, Any]:
        datasets: list[dict[str, Any]] = [
            {"label": self.goal_label, "data": self.goal_cumulative},
        ]
        if self.progress.target:
            datasets.append(
                {
                    "label": _("Target"),
                    "data": [self.progress.target] * len(self.days),
                    "dashed": True,
                    "colour": "#9b2c2c",
                }
            )
        return {"type": "line", "labels": [d.isoformat() for d in self.days], "datasets": datasets}


def campaign_report(*, campaign: Campaign, today: date | None = None) -> CampaignReport:
    figures = campaign_figures(agency=campaign.agency, campaign_ids=[campaign.pk])[campaign.pk]
    progress = goal_progress(
        campaign.goal_kind,
        campaign.goal_target,
        impressions=figures["impressions"],
        engagements=figures["engagements"],
        public_uses=figures["public_uses"],
    )
    timeline = selectors.campaign_timeline(campaign=campaign, today=today)
    return CampaignReport(
        campaign=campaign,
        figures=figures,
        progress=progress,
        days=timeline["days"],
        posts_per_day=timeline["posts"],
        uses_per_day=timeline["uses"],
        goal_per_day=timeline["goal"],
        contributors=selectors.top_contributors(campaign=campaign, limit=CONTRIBUTORS),
        best_posts=selectors.best_posts(campaign=campaign, limit=BEST_POSTS),
        generated_at=timezone.localtime(timezone.now(), campaign.agency.tzinfo),
    )


def contributor_label(row: dict[str, Any]) -> str:
    if row.get("handle"):
        return f"@{row['handle']}" if row["platform"] == "x" else str(row["handle"])
    return str(row.get("name") or row.get("author_id") or "?")


class _SafeWriter:
    """Text from the public (names, handles) that a spreadsheet would take for a formula is
    written with a leading apostrophe, which makes it inert."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def writerow(self, row: list[Any]) -> None:
        self.writer.writerow(
            [
                "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
                for v in row
            ]
        )


def report_csv(report: CampaignReport) -> str:
    """The report as CSV, section by section (a title row, a header row, the rows, a blank
    line), for a spreadsheet. The caller adds the byte-order mark Excel needs for UTF-8."""
    out = io.StringIO()
    w = _SafeWriter(csv.writer(out, lineterminator="\r\n"))
    c = report.campaign
    p = report.progress
    w.writerow([_("Campaign report"), c.name])
    w.writerow([_("Hashtags"), c.hashtags])
    w.writerow([_("Period"), c.starts_on.isoformat(), c.ends_on.isoformat()])
    w.writerow([_("Generated"), report.generated_at.isoformat(timespec="minutes")])
    w.writerow([])
    w.writerow([_("Summary")])
    w.writerow([_("Figure"), _("Value")])
    w.writerow([_("Our published posts"), report.figures["posts"]])
    w.writerow([_("Reach (impressions)"), report.figures["impressions"]])
    w.writerow([_("Engagements"), report.figures["engagements"]])
    w.writerow([_("Public uses of the hashtags"), report.figures["public_uses"]])
    w.writerow([_("People who used the hashtags"), report.figures["public_authors"]])
    w.writerow([_("Goal"), report.goal_label])
    w.writerow([_("Goal target"), p.target if p.target is not None else ""])
    w.writerow([_("Goal value"), p.value])
    w.writerow([_("Goal reached (%)"), p.percent if p.percent is not None else ""])
    w.writerow([])
    w.writerow([_("Timeline")])
    w.writerow([_("Day"), _("Our posts"), _("Public uses"), report.goal_label + " " + _("(total)")])
    for day, posts, uses, total in report.timeline_rows():
        w.writerow([day.isoformat(), posts, uses, total])
    w.writerow([])
    w.writerow([_("Top public contributors")])
    w.writerow([_("Person"), _("Platform"), _("Uses"), _("Impressions"), _("Engagements")])
    for row in report.contributors:
        w.writerow(
            [
                contributor_label(row).removeprefix("@"),
                row["platform"],
                row["uses"],
                row["impressions"] or 0,
                row["engagements"] or 0,
            ]
        )
    w.writerow([])
    w.writerow([_("Our best-performing posts")])
    w.writerow([_("Post"), _("Published"), _("Impressions"), _("Engagements"), _("Rate (%)")])
    for row in report.best_posts:
        published = row["published_at"]
        w.writerow(
            [
                " ".join(str(row["body"]).split())[:200],
                timezone.localtime(published, c.agency.tzinfo).date().isoformat()
                if published
                else "",
                row["impressions"] or 0,
                row["engagements"] or 0,
                row["rate"] if row["rate"] is not None else "",
            ]
        )
    return out.getvalue()
