"""The cancellation report as a PDF (reportlab): the same words, figures, plots and
timeline as the HTML, from the same recorded submission, on A4 pages."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

_STYLES = getSampleStyleSheet()
_WIDTH = A4[0] - 36 * mm  # the text width between the margins
_GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.grey),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
    ]
)


def _p(text: Any, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), _STYLES[style])


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    cells = [[_p(c, "Heading6" if header and n == 0 else "BodyText") for c in r]
             for n, r in enumerate(rows)]  # fmt: skip
    table = Table(cells, colWidths=[w * _WIDTH for w in widths], repeatRows=int(header))
    table.setStyle(_GRID)
    return table


def _plot(png: bytes) -> Image:
    image = Image(io.BytesIO(png))
    scale = _WIDTH / image.imageWidth
    image.drawWidth, image.drawHeight = _WIDTH, image.imageHeight * scale
    return image


def render_pdf(report: dict[str, Any]) -> bytes:
    """The PDF of a report's context (`services.report.report_context`)."""
    story: list[Any] = [
        _p("Cancellation report (Form 1 Part 3)", "Title"),
        _p(f"{report['place']} · {report['day']} · deployment {report['deployment_id']}"),
        _p(
            f"Version {report['version']} of {report['count']}, submitted "
            f"{report['submitted']} by {report['by']}"
        ),
    ]
    if report["reason"]:
        story.append(_p(f"Amended: {report['reason']}"))
    story.append(_p("Gold's report", "Heading2"))
    for label, text in report["golds_text"]:
        story += [_p(label, "Heading4"), _p(text or "Not given.")]
    story += [
        _p("Figures", "Heading2"),
        _table([list(f) for f in report["figures"]], [0.6, 0.4], header=False),
        _p("Thresholds in force", "Heading2"),
        _table(
            [["Threshold", "From", "Until", "Alerts raised at it"]]
            + [[t["threshold"], t["from"], t["until"], t["alerts"]] for t in report["thresholds"]],
            [0.16, 0.32, 0.32, 0.2],
        ),
        _p("Plots", "Heading2"),
    ]
    for title, png in report["plots"]:
        story += [_plot(png), _p(title, "Italic"), Spacer(1, 4 * mm)]
    story += [
        _p("Timeline", "Heading2"),
        _table(
            [["When", "What happened", "Who", "Details"]]
            + [
                [e["at"], e["event"], f"{e['who']} ({e['role']})", _details(e)]
                for e in report["timeline"]
            ],
            [0.24, 0.22, 0.22, 0.32],
        ),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        title=f"Cancellation report: {report['place']}, {report['day']}",
        author=str(report["by"]),
    ).build(story)
    return out.getvalue()


def _details(entry: dict[str, str]) -> str:
    return "; ".join(part for part in (entry["why"], entry["detail"]) if part)
