"""The clinic's outcome report, built by the job queue, and its download."""

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse

from nervecare.core.pages import pdf_download
from nervecare.outcomes import charts
from nervecare.outcomes.analysis import fmt
from nervecare.outcomes.reports.claims import ledger_story
from nervecare.outcomes.reports.pdf import (
    PAGE_WIDTH,
    build_pdf,
    chart_image,
    ci_text,
    paragraph,
    report_filename,
    table,
)

Progress = Callable[[int, str], None]


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
                f"{fmt(rr.value * 100, 0)}% ({ci_text(rr, 0, 100, '%')})" if rr.value is not None else "–",
                f"{fmt(mc.value)} ({ci_text(mc)})" if mc.value is not None else "–",
                f"{fmt(g['attendance_rate'] * 100, 0)}%" if g["attendance_rate"] is not None else "–",
                f"{fmt(g['dropout'].value * 100, 0)}%" if g["dropout"].value is not None else "–",
                fmt(g["adverse_events_per_100_sessions"]),
            ]
        )
    return rows


def clinic_report_pdf(
    result: dict[str, Any], *, progress: Progress | None = None, claims: dict[str, Any] | None = None
) -> bytes:
    """The clinic's outcome report: the caveat and the counts first, then each comparison with its chart;
    with `claims` (the clinic's claims ledger, outcomes.claims), its section at the end."""
    progress = progress or (lambda pct, msg: None)
    story: list[Any] = [
        paragraph(f"Outcome report: {result['clinic']['name']}", "title"),
        paragraph(
            f"Generated {result['generated_at']:%Y-%m-%d %H:%M} UTC · measure: {result['measure']} · filters: "
            f"{', '.join(f'{k}={v}' for k, v in result['filters'].items() if k != 'measure') or 'none'} · rules "
            f"version {result['rules_version']}",
            "small",
        ),
        paragraph(result["caveat"], "caveat"),
        paragraph(result["rests_on"]),
        paragraph("All clients in the selection", "h2"),
        table(_group_rows([{"label": "All", **result["overall"]}])),
    ]
    dims = list(result["dimensions"].items())
    for i, (dimension, label) in enumerate(dims):
        progress(40 + int(45 * i / max(len(dims), 1)), f"Comparing by {label.lower()}")
        groups = result["groups"][dimension]
        story.append(paragraph(f"By {label.lower()}", "h2"))
        story.append(table(_group_rows(groups)))
        story.append(
            chart_image(
                "groups",
                (label, charts.group_key(groups)),
                lambda groups=groups, label=label: charts.group_figure(
                    groups, f"Responders by {label.lower()}"
                ),
                PAGE_WIDTH * 0.85,
            )
        )
    model = result.get("model") or {}
    story.append(paragraph("Ratings over weeks: mixed-effects model", "h2"))
    if model.get("fitted"):
        story.append(
            paragraph(
                f"{model['model'].capitalize()} (statsmodels MixedLM, REML) on {model['clients']} clients"
                f"{' (a reproducible random sample of ' + str(model['eligible']) + ')' if model.get('sampled') else ''}, "
                f"{model['observations']} weekly ratings. Mean rating at baseline {fmt(model['intercept'].value)} "
                f"(95% CI {ci_text(model['intercept'])}); change per week {fmt(model['slope'].value, 2)} "
                f"(95% CI {ci_text(model['slope'], 2)}). Converged: {'yes' if model['converged'] else 'no'}."
                + (" " + "; ".join(model["problems"]) if model.get("problems") else "")
            )
        )
    else:
        story.append(paragraph(model.get("note", "Not fitted.")))
    if claims is not None:
        story += ledger_story(claims)
    story.append(paragraph(result["caveat"], "caveat"))
    progress(90, "Writing the PDF")
    return build_pdf(
        story, title=f"Outcome report: {result['clinic']['name']}", author=result["clinic"]["name"]
    )


def clinic_report_download(job: Any) -> HttpResponse:
    """The finished clinic report of a job as a PDF download (the page and the API answer the same)."""
    return pdf_download(bytes(job.pdf), filename=report_filename("clinic-outcomes", job.created_at))
