"""PDF reports (reportlab, charts as PNG): a client's progress report, for the client or the referring
clinician, and the clinic's outcome report. The fonts are DejaVu Sans from matplotlib's own data (full
Unicode, so every name and symbol prints; nothing extra to install)."""

import datetime as dt
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from nervecare.outcomes import charts
from nervecare.outcomes.analysis import ACTION_LABELS, fmt

Progress = Callable[[int, str], None]
AUDIENCES = ("client", "clinician")
PAGE_WIDTH = A4[0] - 36 * mm


@cache
def _fonts() -> tuple[str, str]:
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


def _p(text: Any, style: str = "body") -> Paragraph:
    return Paragraph(escape(str(text)), _styles()[style])


def _table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    regular, bold = _fonts()
    data = [[c if isinstance(c, Paragraph) else _p(c, "cell") for c in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
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
    return table


def _image(kind: str, inputs: Any, build: Callable[[], Any], width: float = PAGE_WIDTH) -> Image:
    """A chart as a PNG image (drawn once per distinct data: charts.png caches it)."""
    png = charts.png(kind, inputs, build)
    w_px, h_px = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the PNG header
    return Image(io.BytesIO(png), width=width, height=width * h_px / w_px)


def _ci_text(est: Any, digits: int = 1, scale: float = 1.0, suffix: str = "") -> str:
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


def _build(story: list[Any], title: str, author: str) -> bytes:
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


# --- The client's progress report -----------------------------------------------------------------------------


def client_report_pdf(
    result: dict[str, Any], *, audience: str = "client", flags: list[Any] | None = None, clinic_name: str = ""
) -> bytes:
    """A client's progress report: who, condition, plan, attendance, charts, changes and what they mean,
    flags and adverse events, a plain-language summary and the observational caveat."""
    if audience not in AUDIENCES:
        audience = "client"
    story = [
        *_report_heading(result, audience, clinic_name),
        *_report_who(result),
        *_report_changes(result),
        *_report_charts(result),
        *_report_soreness(result),
        *_report_screenings(result),
        *_report_safety(result, flags),
        *_report_reevaluation(result, audience),
    ]
    if audience == "clinician":
        story += _report_methods()
    story.append(_p(result["caveat"], "caveat"))
    return _build(story, f"Progress report: {result['client']['name']}", clinic_name or "NerveCare")


def _report_heading(result: dict[str, Any], audience: str, clinic_name: str) -> list[Any]:
    """The title, whom the report is for, and when and under which rules it was made."""
    client = result["client"]
    story: list[Any] = [
        _p(f"Progress report: {client['name']}", "title"),
        _p(
            (
                f"For the referring clinician{': ' + client['referring_clinician'] if client['referring_clinician'] else ''}."
                if audience == "clinician"
                else "For you, the client: how your own ratings have changed since you started."
            ),
            "small",
        ),
        _p(
            f"{clinic_name + ' · ' if clinic_name else ''}Generated {result['generated_at']:%Y-%m-%d %H:%M} UTC · "
            f"rules version {result['rules_version']}",
            "small",
        ),
        Spacer(1, 4),
    ]
    return story


def _report_who(result: dict[str, Any]) -> list[Any]:
    """Who the client is, their neuropathy, plan, course and attendance; the summary and the caveat."""
    client = result["client"]
    plan = result["plan"]
    who = [
        ["Client", client["name"]],
        ["Date of birth", f"{client['date_of_birth']:%Y-%m-%d}"],
        [
            "Neuropathy",
            "; ".join(
                c["label"] + (f" — {c['diagnosis']}" if c["diagnosis"] else "") for c in result["conditions"]
            )
            or "–",
        ],
        [
            "Plan",
            f"{plan['label']} ({plan['status']}), therapist {plan['therapist'] or '–'}"
            if plan
            else "No plan",
        ],
        [
            "Course",
            f"started {result['course_start']:%Y-%m-%d}, now in week {result['current_week']}"
            if result["course_start"]
            else "not started",
        ],
        ["Attendance", result["attendance"]["text"]],
    ]
    if client["goals"]:
        who.append(["Goals", f"“{client['goals']}”"])
    story: list[Any] = [_table([["", ""], *who][1:], [35 * mm, PAGE_WIDTH - 35 * mm])]
    story += [_p("In plain words", "h2"), *[_p("• " + line) for line in result["summary"]]]
    story.append(_p(result["caveat"], "caveat"))
    return story


def _report_changes(result: dict[str, Any]) -> list[Any]:
    """Each rating's change since intake, with its interval and what it means."""
    story: list[Any] = [_p("Changes since intake", "h2")]
    rows = [["Rating", "Intake", "Now", "Change", "95% CI (points)", "What it means"]]
    for s in result["measures"].values():
        ch = s["change"]
        pct = (
            f" ({fmt(ch['percent'], 0)}%)"
            if ch["percent"] is not None
            else (" (% undefined: baseline 0)" if ch["points"] is not None else "")
        )
        rows.append(
            [
                s["label"],
                fmt(s["baseline"]["value"]) if s["baseline"] else "–",
                fmt(s["current"]["value"]),
                (fmt(ch["points"]) + pct) if ch["points"] is not None else "–",
                _ci_text(ch["ci"]),
                s["status_label"] + (f"; {s['immpact']}" if s["immpact"] else ""),
            ]
        )
    story.append(_table(rows, [22 * mm, 16 * mm, 14 * mm, 30 * mm, 34 * mm, PAGE_WIDTH - 116 * mm]))
    story.append(
        _p(
            f"“Now” is the mean of the last {result['thresholds']['window_weeks']} weeks with a rating. A clinically "
            f"important improvement is about {fmt(result['thresholds']['points'], 0)} points or "
            f"{fmt(result['thresholds']['percent'], 0)}% less ({result['thresholds']['source']}). A verdict needs at "
            f"least {result['thresholds']['min_weeks']} weeks of ratings after intake. The 95% interval shows how "
            "much the weekly ratings vary around the change; a wide interval means the numbers are still uncertain.",
            "small",
        )
    )
    return story


def _report_charts(result: dict[str, Any]) -> list[Any]:
    """Each rating week by week, its trend, and the immediate effect of the sessions."""
    story: list[Any] = []
    weeks = [p["week"] for p in result["reevaluations"]]
    for s in result["measures"].values():
        if s["baseline"] is None:
            continue
        story.append(
            KeepTogether(
                [
                    _p(f"{s['label']}: lasting change, week by week", "h2"),
                    _image(
                        "ratings",
                        (s["label"], s["baseline"], s["points"], s["weekly"], weeks),
                        lambda s=s: charts.ratings_figure(s, weeks),
                    ),
                ]
            )
        )
        trend = s["trend"].slope
        story.append(
            _p(
                f"Trend: {fmt(trend.value, 2)} points per week (95% CI {_ci_text(trend, 2)})."
                if trend.value is not None
                else f"Trend: {trend.note}",
                "small",
            )
        )
        imm = s["immediate"]["mean"]
        if s["immediate"]["sessions"]:
            story.append(
                KeepTogether(
                    [
                        _image(
                            "immediate",
                            (s["label"], s["immediate"]["sessions"]),
                            lambda s=s: charts.immediate_figure(s),
                            PAGE_WIDTH * 0.8,
                        )
                    ]
                )
            )
            story.append(
                _p(
                    f"Immediate effect (on the day, kept apart from the lasting change): after minus before, mean "
                    f"{fmt(imm.value)} points over {imm.n} sessions (95% CI {_ci_text(imm)}).",
                    "small",
                )
            )
    return story


def _report_soreness(result: dict[str, Any]) -> list[Any]:
    """Soreness after sessions, and why it may need a review."""
    story: list[Any] = []
    if result["soreness"]["points"]:
        story.append(
            KeepTogether(
                [
                    _p("Soreness after sessions", "h2"),
                    _image(
                        "soreness",
                        result["soreness"]["points"],
                        lambda: charts.soreness_figure(result["soreness"]),
                        PAGE_WIDTH * 0.8,
                    ),
                ]
            )
        )
        for reason in result["soreness"]["review_reasons"]:
            story.append(_p("• " + reason, "small"))
    return story


def _report_screenings(result: dict[str, Any]) -> list[Any]:
    """The global impression and each instrument's totals."""
    story: list[Any] = []
    story.append(_p("Screenings and global impression", "h2"))
    story.append(_p(result["pgic"]["text"]))
    if result["instruments"]:
        rows = [["Instrument", "Dates and totals", "First", "Latest"]]
        for inst in result["instruments"]:
            rows.append(
                [
                    inst["title"],
                    ", ".join(
                        f"{p['at']:%Y-%m-%d}: {fmt(p['total'])}/{fmt(p['max'], 0)}" for p in inst["points"]
                    ),
                    inst["points"][0]["summary"],
                    inst["points"][-1]["summary"],
                ]
            )
        story.append(_table(rows, [28 * mm, 62 * mm, (PAGE_WIDTH - 90 * mm) / 2, (PAGE_WIDTH - 90 * mm) / 2]))
    return story


def _report_safety(result: dict[str, Any], flags: list[Any] | None) -> list[Any]:
    """Open safety flags and the adverse events recorded."""
    story: list[Any] = []
    story.append(_p("Safety flags and adverse events", "h2"))
    if flags:
        story += [_p(f"• [{f.level}] {f.title} — {f.area}") for f in flags]
    else:
        story.append(_p("No open safety flags."))
    if result["adverse_events"]:
        rows = [["Date", "Week", "What", "Severity", "Resolved"]]
        rows += [
            [
                f"{e['at']:%Y-%m-%d}",
                e["week"] or "–",
                e["kind"],
                e["severity_label"],
                "yes" if e["resolved"] else "no",
            ]
            for e in result["adverse_events"]
        ]
        story.append(_table(rows))
    else:
        story.append(_p("No adverse events recorded."))
    return story


def _report_reevaluation(result: dict[str, Any], audience: str) -> list[Any]:
    """Each re-evaluation point: NerveCare's suggestion, its reasons and the therapist's decision."""
    story: list[Any] = []
    story.append(_p("Re-evaluation", "h2"))
    if not result["reevaluations"]:
        story.append(_p("The plan has no re-evaluation points."))
    for point in result["reevaluations"]:
        sug = point["suggestion"]
        if sug is None:
            story.append(_p(f"Week {point['week']}: not reached yet.", "small"))
            continue
        state = (
            "reached" if point["reached"] else f"coming; based on the data up to week {point['as_of_week']}"
        )
        decision = point["decision"]
        decided = (
            f" Therapist: {decision.get_decision_display().lower()} ({decision.get_action_display().lower()})"
            + (f" — {decision.reason}" if decision.reason else "")
            + "."
            if decision
            else " Not yet decided by the therapist."
        )
        story.append(
            _p(
                f"Week {point['week']} ({state}): NerveCare suggests to {ACTION_LABELS[sug['action']]}.{decided}"
            )
        )
        for r in sug["reasons"]:
            story.append(
                _p(f"• {r['reason']}" + (f" Basis: {r['basis']}" if audience == "clinician" else ""), "small")
            )
    return story


def _report_methods() -> list[Any]:
    """How the figures are computed (the clinician's copy only)."""
    story: list[Any] = []
    story.append(_p("Methods", "h2"))
    story.append(
        _p(
            "Baseline: the intake 0-10 screening (else the intake record, else the first pre-session rating). "
            "Lasting effect: pre-session ratings and later screenings, averaged per course week. Change from "
            "baseline: mean of the last weeks minus baseline, one-sample t interval (SciPy). Trend: OLS slope "
            "of weekly values on weeks, t interval on n-2 degrees of freedom. Immediate effect: paired t on "
            "after minus before per session. Responder: Farrar 2001 thresholds; PGIC 1-2. Suggestions follow "
            "the rules in outcomes/data/outcome_rules.yaml; the therapist accepts or overrules each one.",
            "small",
        )
    )
    return story


# --- The clinic's outcome report ------------------------------------------------------------------------------


def _group_rows(groups: list[dict[str, Any]]) -> list[list[Any]]:
    rows = [
        [
            "Group",
            "Clients",
            "Evaluable",
            "Responders (95% CI)",
            "Mean change (95% CI)",
            "Attended",
            "Drop-out",
            "AE / 100 sessions",
        ]
    ]
    for g in groups:
        rr, mc = g["responder_rate"], g["mean_change"]
        rows.append(
            [
                g["label"],
                g["clients"],
                g["evaluable"],
                f"{fmt(rr.value * 100, 0)}% ({_ci_text(rr, 0, 100, '%')})" if rr.value is not None else "–",
                f"{fmt(mc.value)} ({_ci_text(mc)})" if mc.value is not None else "–",
                f"{fmt(g['attendance_rate'] * 100, 0)}%" if g["attendance_rate"] is not None else "–",
                f"{fmt(g['dropout'].value * 100, 0)}%" if g["dropout"].value is not None else "–",
                fmt(g["adverse_events_per_100_sessions"]),
            ]
        )
    return rows


def clinic_report_pdf(result: dict[str, Any], *, progress: Progress | None = None) -> bytes:
    """The clinic's outcome report: the caveat and the counts first, then each comparison with its chart."""
    progress = progress or (lambda pct, msg: None)
    story: list[Any] = [
        _p(f"Outcome report: {result['clinic']['name']}", "title"),
        _p(
            f"Generated {result['generated_at']:%Y-%m-%d %H:%M} UTC · measure: {result['measure']} · filters: "
            f"{', '.join(f'{k}={v}' for k, v in result['filters'].items() if k != 'measure') or 'none'} · rules "
            f"version {result['rules_version']}",
            "small",
        ),
        _p(result["caveat"], "caveat"),
        _p(result["rests_on"]),
        _p("All clients in the selection", "h2"),
        _table(_group_rows([{"label": "All", **result["overall"]}])),
    ]
    dims = list(result["dimensions"].items())
    for i, (dimension, label) in enumerate(dims):
        progress(40 + int(45 * i / max(len(dims), 1)), f"Comparing by {label.lower()}")
        groups = result["groups"][dimension]
        story.append(_p(f"By {label.lower()}", "h2"))
        story.append(_table(_group_rows(groups)))
        story.append(
            _image(
                "groups",
                (label, charts.group_key(groups)),
                lambda groups=groups, label=label: charts.group_figure(
                    groups, f"Responders by {label.lower()}"
                ),
                PAGE_WIDTH * 0.85,
            )
        )
    model = result.get("model") or {}
    story.append(_p("Ratings over weeks: mixed-effects model", "h2"))
    if model.get("fitted"):
        story.append(
            _p(
                f"{model['model'].capitalize()} (statsmodels MixedLM, REML) on {model['clients']} clients"
                f"{' (a reproducible random sample of ' + str(model['eligible']) + ')' if model.get('sampled') else ''}, "
                f"{model['observations']} weekly ratings. Mean rating at baseline {fmt(model['intercept'].value)} "
                f"(95% CI {_ci_text(model['intercept'])}); change per week {fmt(model['slope'].value, 2)} "
                f"(95% CI {_ci_text(model['slope'], 2)}). Converged: {'yes' if model['converged'] else 'no'}."
                + (" " + "; ".join(model["problems"]) if model.get("problems") else "")
            )
        )
    else:
        story.append(_p(model.get("note", "Not fitted.")))
    story.append(_p(result["caveat"], "caveat"))
    progress(90, "Writing the PDF")
    return _build(story, f"Outcome report: {result['clinic']['name']}", result["clinic"]["name"])


def report_filename(prefix: str, when: dt.datetime) -> str:
    return f"{prefix}-{when:%Y%m%d-%H%M}.pdf"


def clinic_report_download(job: Any) -> Any:
    """The finished clinic report of a job as a PDF download (the page and the API answer the same)."""
    from django.http import HttpResponse

    response = HttpResponse(bytes(job.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{report_filename("clinic-outcomes", job.created_at)}"'
    )
    return response


# --- Building blocks for other documents (the right-of-access export in nervecare/ops) -------------------------


def paragraph(text: Any, style: str = "body") -> Paragraph:
    """A paragraph in the reports' styles: title, h2, body or small."""
    return _p(text, style)


def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
    """A table in the reports' style (the first row is the header)."""
    return _table(rows, widths)


def build_pdf(story: list[Any], *, title: str, author: str) -> bytes:
    """A PDF of the story on the reports' page (A4, margins, page-numbered footer)."""
    return _build(story, title=title, author=author)
