"""The campaign report as a one-page PDF, drawn server-side with ReportLab (pure Python).

Same figures as the HTML report (campaigns.report.CampaignReport): the summary and goal with a
progress bar, the timeline chart (our posts and the public's uses per day), the goal chart
(running total against the target), the top public contributors and our best posts.

Hangul (and any text outside Latin-1) is set in a TrueType font with Hangul when the server has
one (see `_register`), embedded; otherwise in ReportLab's built-in CID font HYGothic-Medium,
which needs no font file (the PDF viewer supplies the glyphs).
"""

from __future__ import annotations

import io
import logging
import os
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from campaigns.report import CampaignReport, contributor_label

log = logging.getLogger(__name__)

LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
CJK = "HYGothic-Medium"
BRAND = colors.HexColor("#1d4f91")
ORANGE = colors.HexColor("#d9822b")
RED = colors.HexColor("#9b2c2c")
LINE = colors.HexColor("#d8dde6")
ROWS = 5  # contributors and posts on the one page
WIDTH = A4[0] - 30 * mm


# TrueType fonts with Hangul that Linux distributions install (fonts-nanum, fonts-unfonts-core);
# ReportLab embeds TrueType outlines only (not the CFF of Noto CJK's .ttc files).
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
)
_cjk_font: list[str] = []


def _register() -> str:
    """The font for text outside Latin-1, registered once per process.

    A TrueType font with Hangul is embedded when there is one (`BEAT_PDF_FONT` in settings, a
    path, or one of SYSTEM_FONTS), so every viewer shows the Korean. Without one, ReportLab's
    built-in CID font is named and the viewer supplies the glyphs (Acrobat, and the browsers'
    viewers on Windows and macOS, do; a bare Linux without CJK fonts shows blanks).
    """
    if _cjk_font:
        return _cjk_font[0]
    candidates = [getattr(settings, "BEAT_PDF_FONT", "") or "", *SYSTEM_FONTS]
    name = CJK
    for path in candidates:
        if path and os.path.isfile(path):
            try:
                pdfmetrics.registerFont(TTFont("BeatCJK", path))
            except Exception:  # noqa: BLE001 - an unusable font file: try the next one
                log.warning("Cannot use %s for Hangul in PDF reports", path, exc_info=True)
                continue
            name = "BeatCJK"
            break
    if name == CJK and CJK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK))
    _cjk_font.append(name)
    return name


def _font(text: str, bold: bool = False) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return _register()
    return LATIN_BOLD if bold else LATIN


def _p(text: object, size: float = 9, bold: bool = False, colour=colors.black) -> Paragraph:
    value = str(text)
    style = ParagraphStyle(
        "cell", fontName=_font(value, bold), fontSize=size, leading=size * 1.25, textColor=colour
    )
    return Paragraph(escape(value), style)


def _number(value: object) -> str:
    return f"{int(value or 0):,}"


def _short(text: str, length: int) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def _table(header: list[str], rows: list[list[object]], widths: list[float]) -> Table:
    data = [[_p(h, 8, bold=True) for h in header]] + [[_p(v, 8) for v in row] for row in rows] or [
        [_p("—", 8)]
    ]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _labels(report: CampaignReport) -> list[str]:
    """Day labels, thinned so at most about twelve are written under a chart."""
    step = max(1, -(-len(report.days) // 12))
    return [d.strftime("%m-%d") if i % step == 0 else "" for i, d in enumerate(report.days)]


def nice_scale(top: int, ticks: int = 4) -> tuple[int, int]:
    """(maximum, step) for a value axis: a step of 1, 2 or 5 times a power of ten."""
    rough = max(1, top) / ticks
    power = 1
    while power * 10 <= rough:
        power *= 10
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step * max(1, -(-max(1, top) // step)), step


def _axes(chart, values: list[int]) -> None:
    top, step = nice_scale(max(values or [0]))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = step
    for labels in (chart.valueAxis.labels, chart.categoryAxis.labels):
        labels.fontName = LATIN
        labels.fontSize = 6


def _caption(drawing: Drawing, x: float, y: float, text: str, bold: bool = False) -> None:
    drawing.add(String(x, y, text, fontName=_font(text, bold), fontSize=8 if not bold else 9))


def _key(drawing: Drawing, x: float, y: float, items: list[tuple[colors.Color, bool, str]]):
    """A small key, right-aligned at x: a line sample (dashed or not) and a label each."""
    for colour, dashed, label in reversed(items):
        width = pdfmetrics.stringWidth(label, _font(label), 7)
        x -= width
        drawing.add(String(x, y - 2, label, fontName=_font(label), fontSize=7))
        x -= 20
        drawing.add(
            Line(
                x,
                y,
                x + 16,
                y,
                strokeColor=colour,
                strokeWidth=2,
                strokeDashArray=[3, 2] if dashed else None,
            )
        )
        x -= 12


def _bars(x: float, y: float, width: float, height: float, values: list[int], colour, report):
    chart = VerticalBarChart()
    chart.x, chart.y = x, y
    chart.width, chart.height = width, height
    chart.data = [values]
    chart.bars[0].fillColor = colour
    chart.bars.strokeColor = None
    chart.categoryAxis.categoryNames = _labels(report)
    _axes(chart, values)
    return chart


def timeline_drawing(report: CampaignReport, width: float = WIDTH, height: float = 78 * mm):
    """Our posts and the public's uses per day, one above the other (their scales differ)."""
    drawing = Drawing(width, height)
    _caption(drawing, 0, height - 10, _("Timeline"), bold=True)
    if not report.days:
        _caption(drawing, 0, height - 26, _("The campaign has not started yet."))
        return drawing
    plot_width = width - 36
    posts_height = 24 * mm
    uses_top = height - 30 - posts_height - 22
    _caption(drawing, 0, height - 24, _("Our posts"))
    drawing.add(
        _bars(
            28,
            height - 30 - posts_height,
            plot_width,
            posts_height,
            report.posts_per_day,
            BRAND,
            report,
        )
    )
    _caption(drawing, 0, uses_top + 4, _("Public uses"))
    drawing.add(_bars(28, 14, plot_width, uses_top - 18, report.uses_per_day, ORANGE, report))
    return drawing


def goal_drawing(report: CampaignReport, width: float = WIDTH, height: float = 58 * mm):
    """The running total of the goal's figure per day, against a dashed target line."""
    drawing = Drawing(width, height)
    _caption(drawing, 0, height - 10, _("Goal: %(goal)s") % {"goal": report.goal_label}, True)
    if not report.days:
        return drawing
    totals = report.goal_cumulative
    target = report.progress.target
    chart = HorizontalLineChart()
    chart.x, chart.y = 36, 14
    chart.width, chart.height = width - 44, height - 40
    chart.data = [totals] + ([[target] * len(totals)] if target else [])
    chart.lines[0].strokeColor = BRAND
    chart.lines[0].strokeWidth = 1.5
    if target:
        chart.lines[1].strokeColor = RED
        chart.lines[1].strokeDashArray = [4, 3]
    chart.categoryAxis.categoryNames = _labels(report)
    _axes(chart, [*totals, target or 0])
    drawing.add(chart)
    items = [(BRAND, False, _("Total so far"))]
    if target:
        items.append((RED, True, _("Target")))
    _key(drawing, width, height - 8, items)
    return drawing


def progress_drawing(report: CampaignReport, width: float = WIDTH, height: float = 10 * mm):
    """The goal as a bar: filled to the value, the frame is the target."""
    drawing = Drawing(width, height)
    p = report.progress
    bar_width = width * 0.7
    drawing.add(Rect(0, 6, bar_width, 10, fillColor=colors.white, strokeColor=colors.black))
    if p.target:
        filled = bar_width * min(1.0, p.value / p.target)
        drawing.add(Rect(0, 6, filled, 10, fillColor=BRAND, strokeColor=None))
        text = _("%(value)s of %(target)s (%(percent)s%%)") % {
            "value": _number(p.value),
            "target": _number(p.target),
            "percent": p.percent,
        }
    else:
        text = _("%(value)s (no target set)") % {"value": _number(p.value)}
    drawing.add(String(bar_width + 8, 8, text, fontName=_font(text), fontSize=9))
    return drawing


def report_pdf(report: CampaignReport) -> bytes:
    """The one-page PDF of `report`."""
    _register()
    c = report.campaign
    f = report.figures
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=c.name,
        author=c.agency.name,
        subject=_("Campaign report"),
    )
    period = f"{c.starts_on.isoformat()} – {c.ends_on.isoformat()}"
    generated = _("Generated %(when)s") % {"when": report.generated_at.strftime("%Y-%m-%d %H:%M")}
    story: list = [
        _p(c.name, 16, bold=True, colour=BRAND),
        _p(f"{c.agency.name} · {c.hashtags} · {period} · {generated}", 8, colour=colors.grey),
        Spacer(1, 3 * mm),
    ]
    summary = [
        [_("Our published posts"), _number(f["posts"])],
        [_("Reach (impressions)"), _number(f["impressions"])],
        [_("Engagements"), _number(f["engagements"])],
        [_("Public uses of the hashtags"), _number(f["public_uses"])],
        [_("People who used the hashtags"), _number(f["public_authors"])],
    ]
    half = WIDTH / 2
    left = _table([_("Figure"), _("Value")], summary, [half * 0.65, half * 0.3])
    goal_text = [
        _p(_("Goal: %(goal)s") % {"goal": report.goal_label}, 9, bold=True),
        Spacer(1, 1 * mm),
        progress_drawing(report, width=half - 4 * mm),
    ]
    story.append(
        Table(
            [[left, goal_text]],
            colWidths=[half, half],
            style=[
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ],
        )
    )
    story += [Spacer(1, 3 * mm), timeline_drawing(report), goal_drawing(report)]
    contributors = [
        [
            _short(contributor_label(row), 30),
            row["platform"],
            _number(row["uses"]),
            _number(row["engagements"]),
        ]
        for row in report.contributors[:ROWS]
    ]
    posts = [
        [
            _short(row["body"], 70),
            timezone.localtime(row["published_at"], c.agency.tzinfo).strftime("%m-%d")
            if row["published_at"]
            else "",
            _number(row["impressions"]),
            _number(row["engagements"]),
        ]
        for row in report.best_posts[:ROWS]
    ]
    story += [
        Spacer(1, 2 * mm),
        Table(
            [
                [
                    [
                        _p(_("Top public contributors"), 9, bold=True),
                        _table(
                            [_("Person"), _("Platform"), _("Uses"), _("Engagements")],
                            contributors,
                            [half * 0.4, half * 0.17, half * 0.13, half * 0.26],
                        ),
                    ],
                    [
                        _p(_("Our best-performing posts"), 9, bold=True),
                        _table(
                            [_("Post"), _("Day"), _("Impressions"), _("Engagements")],
                            posts,
                            [half * 0.38, half * 0.12, half * 0.24, half * 0.26],
                        ),
                    ],
                ]
            ],
            colWidths=[half, half],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
