"""One rating (pain, numbness, tingling): the observations gathered from intake, conditions and screenings,
and its summary: baseline and now, change with intervals, trend, responder status and verdict, and the
immediate (within-session) effect beside the lasting one."""

from typing import Any

from django.utils.translation import gettext as _

from nervecare.outcomes import stats
from nervecare.outcomes.analysis.labels import MEASURE_LABELS, fmt
from nervecare.outcomes.rules import immpact_label, outcome_rules
from nervecare.outcomes.selectors import ClientData
from nervecare.outcomes.series import (
    MEASURES,
    NRS_INSTRUMENTS,
    PRIO_CONDITION,
    PRIO_INTAKE,
    PRIO_OTHER,
    MeasureSeries,
    Obs,
    course_week,
)


def observations(data: ClientData) -> dict[str, list[Obs]]:
    out: dict[str, list[Obs]] = {m: [] for m in MEASURES}
    for r in data.responses:
        measure = NRS_INSTRUMENTS.get(r.instrument)
        if measure is None:
            continue
        intake = r.context == "intake"
        out[measure].append(
            Obs(
                measure,
                r.administered_at,
                float(r.total),
                "response",
                r.id,
                PRIO_INTAKE if intake else PRIO_OTHER,
                _("intake screening") if intake else _("%(context)s screening") % {"context": r.context},
            )
        )
    for c in data.conditions:
        for m in MEASURES:
            value = getattr(c, m)
            if value is not None:
                out[m].append(
                    Obs(m, c.created_at, float(value), "condition", c.id, PRIO_CONDITION, _("intake record"))
                )
    for n in data.notes:
        for m in MEASURES:
            value = n.ratings[f"{m}_before"]
            if value is not None:
                out[m].append(
                    Obs(m, n.starts_at, float(value), "session", n.id, PRIO_OTHER, _("before session"))
                )
    return out


# --- One rating -----------------------------------------------------------------------------------------------


def _verdict(measure: str, status: str, baseline: float | None, current: float | None, n_weeks: int) -> str:
    rules = outcome_rules()
    label = MEASURE_LABELS[measure]
    if status == stats.NO_DATA:
        return _("No %(m)s rating recorded yet.") % {"m": label.lower()}
    if status == stats.INSUFFICIENT:
        return _(
            "Not enough data yet: %(n)d week(s) of %(m)s ratings after baseline; a verdict needs at least %(min)d."
        ) % {"n": n_weeks, "m": label.lower(), "min": rules.data.min_weeks_for_verdict}
    assert baseline is not None and current is not None
    diff = current - baseline
    pct = stats.percent_change(baseline, current)
    numbers = _("%(b)s at baseline, %(c)s now") % {"b": fmt(baseline), "c": fmt(current)}
    if status == stats.NOT_APPLICABLE:
        return _(
            "%(m)s was 0 at baseline (%(numbers)s): there was nothing to reduce, and a percentage change is "
            "undefined."
        ) % {"m": label, "numbers": numbers}
    if status == stats.WORSE:
        return _(
            "%(m)s is %(d)s points higher than at baseline (%(numbers)s): worse by 2 points or more."
        ) % {
            "m": label,
            "d": fmt(diff),
            "numbers": numbers,
        }
    size = (
        _("%(d)s points lower") % {"d": fmt(-diff)}
        if diff < 0
        else (_("%(d)s points higher") % {"d": fmt(diff)} if diff > 0 else _("unchanged"))
    )
    pct_text = f", {fmt(abs(pct), 0)}% {_('less') if pct < 0 else _('more')}" if pct not in (None, 0) else ""
    if status == stats.RESPONDER:
        return _(
            "%(m)s is %(size)s than at baseline (%(numbers)s%(pct)s): a clinically important improvement by the "
            "published threshold (about 2 points or 30%%, Farrar 2001)."
        ) % {"m": label, "size": size, "numbers": numbers, "pct": pct_text}
    if diff == 0:
        return _("%(m)s is unchanged since baseline (%(numbers)s).") % {"m": label, "numbers": numbers}
    return _(
        "%(m)s is %(size)s than at baseline (%(numbers)s%(pct)s): smaller than the published threshold for a "
        "clinically important change (about 2 points or 30%%)."
    ) % {"m": label, "size": size, "numbers": numbers, "pct": pct_text}


def measure_summary(series: MeasureSeries, notes: list[Any]) -> dict[str, Any]:
    rules = outcome_rules()
    window = rules.data.current_window_weeks
    m = series.measure
    base = series.baseline
    baseline = base.value if base else None
    status = stats.classify(
        baseline,
        series.current,
        series.n_weeks,
        points=rules.responder.points,
        percent=rules.responder.percent,
        worse_points=rules.worsening.points,
        min_weeks=rules.data.min_weeks_for_verdict,
        rule=rules.responder.rule,
    )
    points = []
    if base is not None:
        points.append({"week": 0, "at": base.ts, "value": base.value, "source": base.label, "baseline": True})
    points += [
        {"week": w, "at": o.ts, "value": o.value, "source": o.label, "baseline": False}
        for w, o in series.followups
    ]
    recent = [v for _w, v, _n in series.weekly[-window:]]
    change = _change(baseline, series.current, recent)
    course_change = None
    trend = stats.ols_trend([], [])
    if baseline is not None and series.current is not None:
        course_change = stats.change_from_baseline(baseline, [v for _w, v, _n in series.weekly])
    if baseline is not None:
        trend = stats.ols_trend(
            [0] + [w for w, _v, _n in series.weekly], [baseline] + [v for _w, v, _n in series.weekly]
        )
    reduction_pct = -change["percent"] if change["percent"] is not None else None
    return {
        "measure": m,
        "label": str(MEASURE_LABELS[m]),
        "baseline": {"value": baseline, "at": base.ts, "source": base.label} if base else None,
        "points": points,
        "before_course": [{"at": o.ts, "value": o.value, "source": o.label} for o in series.before_course],
        "weekly": [{"week": w, "value": v, "n": n} for w, v, n in series.weekly],
        "n_weeks": series.n_weeks,
        "current": {
            "value": series.current,
            "window_weeks": window,
            "weeks": [w for w, _v, _n in series.weekly[-window:]],
        },
        "change": change,
        "course_change": course_change,
        "trend": trend,
        "status": status,
        "status_label": stats.STATUS_LABELS[status],
        "immpact": immpact_label(reduction_pct) if reduction_pct is not None and reduction_pct > 0 else "",
        "verdict": _verdict(m, status, baseline, series.current, series.n_weeks),
        "immediate": _immediate(series, m, notes),
    }


def _change(baseline: float | None, current: float | None, recent: list[float]) -> dict[str, Any]:
    """The change from baseline to now: points, percent, and the interval of the recent weeks' change."""
    if baseline is None or current is None:
        return {"points": None, "percent": None, "percent_note": "", "ci": None, "percent_ci": None}
    ci = stats.change_from_baseline(baseline, recent)
    return {
        "points": current - baseline,
        "percent": stats.percent_change(baseline, current),
        "percent_note": ""
        if baseline
        else _("Percent change is undefined because the baseline was 0 (no division by zero)."),
        "ci": ci,
        "percent_ci": (ci.low / baseline * 100, ci.high / baseline * 100) if ci.has_ci and baseline else None,
    }


def _immediate(series: MeasureSeries, m: str, notes: list[Any]) -> dict[str, Any]:
    """The immediate effect: each session's after minus before, and their paired mean."""
    pairs = [
        (n.starts_at, n.ratings[f"{m}_before"], n.ratings[f"{m}_after"])
        for n in notes
        if n.ratings[f"{m}_before"] is not None and n.ratings[f"{m}_after"] is not None
    ]
    return {
        "sessions": [
            {
                "at": at,
                "week": course_week(at, series.t0) if series.t0 else None,
                "before": b,
                "after": a,
                "change": a - b,
            }
            for at, b, a in pairs
        ],
        "mean": stats.paired_change([p[1] for p in pairs], [p[2] for p in pairs]),
    }
