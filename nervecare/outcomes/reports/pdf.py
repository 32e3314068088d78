"""The reports' page and building blocks: fonts (DejaVu Sans from matplotlib's own data: full Unicode, so
every name and symbol prints; nothing extra to install), styles, paragraphs, tables, charts and the PDF."""

import datetime as dt
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Table, TableStyle

from nervecare.outcomes import charts
from nervecare.outcomes.analysis import fmt

PAGE_WIDTH = A4[0] - 36 * mm


@cache
def _fonts() -> tuple[str, str]:
    import matplotlib  # its DejaVu fonts; imported when the first PDF is made (charts imports it lazily too)

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("NCSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("NCSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    except OSError:  # pragma: no cover - matplotlib always ships DejaVu; fall back to the PDF base font
        return "Helvetica", "Helvetica-Bold"
    return "NCSans", "NCSans-Bold"


@cache
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "nc-body", parent=base["BodyText"], fontName=regular, fontSize=9.5, leading=13, alignment=TA_LEFT
    )
    return {
        "title": ParagraphStyle(
            "nc-title", parent=body, fontName=bold, fontSize=16, leading=20, spaceAfter=4
        ),
        "h2": ParagraphStyle(
            "nc-h2", parent=body, fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=3
        ),
        "body": body,
        "small": ParagraphStyle(
            "nc-small", parent=body, fontSize=8, leading=10.5, textColor=colors.HexColor("#5b6776")
        ),
        "cell": ParagraphStyle("nc-cell", parent=body, fontSize=8, leading=10),
        "caveat": ParagraphStyle(
            "nc-caveat",
            parent=body,
            backColor=colors.HexColor("#fff9d6"),
            borderPadding=5,
            spaceBefore=6,
            spaceAfter=6,
        ),
    }


def paragraph(text: Any, style: str = "body") -> Paragraph:
    """A paragraph in the reports' styles: title, h2, body, small, cell or caveat."""
    return Paragraph(escape(str(text)), _styles()[style])


def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    """A table in the reports' style (the first row is the header)."""
    regular, bold = _fonts()
    data = [[c if isinstance(c, Paragraph) else paragraph(c, "cell") for c in row] for row in rows]
    out = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    out.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), regular),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3f0fa")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#d7dde4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return out


def chart_image(kind: str, inputs: Any, build: Callable[[], Any], width: float = PAGE_WIDTH) -> Image:
    """A chart as a PNG image (drawn once per distinct data: charts.png caches it)."""
    png = charts.png(kind, inputs, build)
    w_px, h_px = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the PNG header
    return Image(io.BytesIO(png), width=width, height=width * h_px / w_px)


def ci_text(est: Any, digits: int = 1, scale: float = 1.0, suffix: str = "") -> str:
    if est is None or est.value is None:
        return "–"
    if est.has_ci:
        return f"{fmt(est.low * scale, digits)} to {fmt(est.high * scale, digits)}{suffix}"
    return est.note or "–"


def _footer(canvas: Any, doc: Any) -> None:
    regular, _bold = _fonts()
    canvas.saveState()
    canvas.setFont(regular, 7.5)
    canvas.setFillColor(colors.HexColor("#5b6776"))
    canvas.drawString(
        18 * mm,
        10 * mm,
        "NerveCare · observational data from routine care, no control group · not a diagnosis",
    )
    canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {doc.page}")
    canvas.restoreState()


def build_pdf(story: list[Any], *, title: str, author: str) -> bytes:
    """A PDF of the story on the reports' page (A4, margins, page-numbered footer)."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        subject="NerveCare outcome report",
    )
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buf.getvalue()


def report_filename(prefix: str, when: dt.datetime) -> str:
    """A report's download name: the prefix and when it was made."""
    return f"{prefix}-{when:%Y%m%d-%H%M}.pdf"
