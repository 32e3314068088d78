"""Screening instruments' totals over time, the client's global impression of change (PGIC), and soreness
after sessions."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from nervecare.outcomes import stats
from nervecare.outcomes.analysis.labels import SCREENING_INSTRUMENTS, pgic_labels
from nervecare.outcomes.rules import outcome_rules
from nervecare.outcomes.selectors import ClientData
from nervecare.outcomes.series import (
    course_week,
)
from nervecare.screening.instruments import all_definitions
from nervecare.visits.selectors import review_rules, soreness_reasons


def _primary_met(response: Any) -> bool | None:
    for cutoff in (response.interpretation or {}).get("cutoffs", []):
        if cutoff.get("primary"):
            return bool(cutoff.get("met"))
    return None


def instrument_trajectories(data: ClientData, t0: dt.datetime | None) -> list[dict[str, Any]]:
    definitions = all_definitions()
    out = []
    for code in SCREENING_INSTRUMENTS:
        rows = [r for r in data.responses if r.instrument == code]
        if not rows:
            continue
        points = [
            {
                "at": r.administered_at,
                "week": (course_week(r.administered_at, t0) if t0 and r.administered_at >= t0 else 0),
                "total": float(r.total),
                "max": float(r.max_total),
                "summary": (r.interpretation or {}).get("summary", ""),
                "positive": _primary_met(r),
                "context": r.context,
            }
            for r in rows
        ]
        first, last = points[0], points[-1]
        definition = definitions.get(code)
        out.append(
            {
                "code": code,
                "title": definition.short_title if definition else code,
                "points": points,
                "change": last["total"] - first["total"] if len(points) > 1 else None,
                "first_positive": first["positive"],
                "latest_positive": last["positive"],
            }
        )
    return out


def pgic_summary(data: ClientData, t0: dt.datetime | None) -> dict[str, Any]:
    rules = outcome_rules()
    rows = [r for r in data.responses if r.instrument == "pgic"]
    labels = pgic_labels()
    points = [
        {
            "at": r.administered_at,
            "week": course_week(r.administered_at, t0) if t0 and r.administered_at >= t0 else 0,
            "value": int(r.total),
            "label": labels.get(int(r.total), ""),
        }
        for r in rows
    ]
    latest = points[-1] if points else None
    responder = latest["value"] <= rules.pgic.responder_max if latest else None
    return {
        "points": points,
        "latest": latest,
        "responder": responder,
        "text": (
            _("No PGIC recorded yet (it is asked at re-evaluation visits).")
            if latest is None
            else _("Latest PGIC: %(v)d, “%(label)s”%(verdict)s.")
            % {
                "v": latest["value"],
                "label": latest["label"],
                "verdict": _(" — a responder (much or very much improved)") if responder else "",
            }
        ),
    }


def soreness_summary(data: ClientData, t0: dt.datetime | None) -> dict[str, Any]:
    points = [
        {
            "at": n.starts_at,
            "week": course_week(n.starts_at, t0) if t0 else None,
            "value": n.ratings["soreness_after"],
        }
        for n in data.notes
        if n.ratings["soreness_after"] is not None
    ]
    trend = stats.ols_trend([p["week"] for p in points], [p["value"] for p in points])
    reasons = soreness_reasons([p["value"] for p in reversed(points)], review_rules())
    return {
        "points": points,
        "latest": points[-1]["value"] if points else None,
        "trend": trend,
        "review_reasons": [r.message for r in reasons],
    }
