"""One client's outcomes: trajectories, immediate vs lasting effect, change from baseline with intervals,
trend, responder status, and the suggestion at each re-evaluation point of the plan.

Input is ClientData (selectors.py); output is plain data (dicts, dates, numbers) for the page, the API, the
CSV and the PDF. No cure is ever claimed: the words describe change in the client's own ratings only.
"""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nervecare.core.models import User
from nervecare.outcomes import stats
from nervecare.outcomes.adherence import client_adherence
from nervecare.outcomes.models import ReevaluationDecision
from nervecare.outcomes.reevaluation import ACTION_LABELS, reevaluations
from nervecare.outcomes.rules import immpact_label, outcome_rules
from nervecare.outcomes.selectors import ClientData, choose_plan, client_data, client_for_outcomes
from nervecare.outcomes.series import (
    MEASURES,
    NRS_INSTRUMENTS,
    PRIO_CONDITION,
    PRIO_INTAKE,
    PRIO_OTHER,
    MeasureSeries,
    Obs,
    build_series,
    course_week,
)
from nervecare.screening.instruments import all_definitions
from nervecare.visits.selectors import review_rules, soreness_reasons

MEASURE_LABELS = {
    "pain": gettext_lazy("Pain"),
    "numbness": gettext_lazy("Numbness"),
    "tingling": gettext_lazy("Tingling"),
}
# Instruments shown as trajectories of their totals (no responder threshold is published for them here).
SCREENING_INSTRUMENTS = ("dn4", "dn4_interview", "mnsi_history", "mnsi_exam", "mnsi_exam_monofilament")


def pgic_labels() -> dict[int, str]:
    """PGIC answers and their words, from the instrument's own definition (screening/data/instruments)."""
    definition = all_definitions().get("pgic")
    options = definition.answer_sets.get("pgic", []) if definition else []
    return {int(o.score): o.label for o in options}


CAVEAT = gettext_lazy(
    "These are the client's own ratings, recorded in routine care, without a comparison (control) group. "
    "They show how the ratings changed, not whether massage caused the change: neuropathy symptoms also "
    "change with time, medicines, the course of the illness and the attention that comes with care, and "
    "ratings that start high tend to come down on their own (regression to the mean). Nothing here is a "
    "diagnosis or a promise of improvement."
)


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return "0" if text in {"-0", "-0.0"} else text


def dropped_out(
    *,
    plan_status: str | None,
    completed: int,
    planned: int | None,
    last_completed: dt.datetime | None,
    upcoming: int,
    now: dt.datetime,
    dropout_weeks: int,
) -> bool:
    """Stopped before the end of the course: a cancelled plan after starting, or nothing booked and no
    session for `dropout_weeks` weeks (NerveCare default) while sessions remain. Shared with the cohort."""
    if completed < 1 or plan_status == "completed" or (planned is not None and completed >= planned):
        return False
    if plan_status == "cancelled":
        return True
    return (
        upcoming == 0
        and last_completed is not None
        and now - last_completed >= dt.timedelta(weeks=dropout_weeks)
    )


# --- Gathering observations ---------------------------------------------------------------------------------


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


# --- Screening instruments, PGIC, soreness ---------------------------------------------------------------


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


# --- Attendance, adverse events --------------------------------------------------------------------------


def attendance_summary(data: ClientData, plan: Any) -> dict[str, Any]:
    rules = outcome_rules()
    past = [a for a in data.appointments if a.starts_at <= data.now]
    completed = [a for a in past if a.status == "completed"]
    no_show = sum(1 for a in past if a.status == "no_show")
    cancelled = sum(1 for a in data.appointments if a.status == "cancelled")
    upcoming = sum(
        1 for a in data.appointments if a.starts_at > data.now and a.status in ("booked", "checked_in")
    )
    planned = plan.course_weeks * plan.sessions_per_week if plan else None
    due = len(completed) + no_show
    last_completed = completed[-1].starts_at if completed else None
    stopped = dropped_out(
        plan_status=plan.status if plan else None,
        completed=len(completed),
        planned=planned,
        last_completed=last_completed,
        upcoming=upcoming,
        now=data.now,
        dropout_weeks=rules.data.dropout_weeks,
    )
    return {
        "completed": len(completed),
        "no_show": no_show,
        "cancelled": cancelled,
        "upcoming": upcoming,
        "planned": planned,
        "signed_notes": len(data.notes),
        "rate": len(completed) / due if due else None,
        "last_completed": last_completed,
        "stopped": stopped,
        "text": (
            _("Attended %(done)d of %(due)d sessions that were due%(planned)s; %(ns)d missed without notice.")
            % {
                "done": len(completed),
                "due": due,
                "planned": _(" (%(p)d planned in the course)") % {"p": planned} if planned else "",
                "ns": no_show,
            }
            if due
            else _("No sessions yet%(planned)s.")
            % {"planned": _(" (%(p)d planned in the course)") % {"p": planned} if planned else ""}
        )
        + (
            " "
            + _("No session for %(w)d weeks or more and nothing booked: the client seems to have stopped.")
            % {"w": rules.data.dropout_weeks}
            if stopped
            else ""
        ),
    }


def adverse_events(data: ClientData, t0: dt.datetime | None) -> list[dict[str, Any]]:
    return [
        {
            "at": n.starts_at,
            "week": course_week(n.starts_at, t0) if t0 else None,
            "kind": e.get_kind_display(),
            "severity": e.severity,
            "severity_label": e.get_severity_display(),
            "resolved": e.resolved,
        }
        for n in data.notes
        for e in n.adverse_events
    ]


# --- Re-evaluation points ----------------------------------------------------------------------------------


# --- The whole picture ---------------------------------------------------------------------------------------


def primary_measure(measures: dict[str, dict[str, Any]]) -> str | None:
    """The rating that troubled the client most at intake (ties: pain, numbness, tingling). NerveCare default."""
    rated = [(m, s["baseline"]["value"]) for m, s in measures.items() if s["baseline"] is not None]
    if not rated:
        return None
    return max(rated, key=lambda p: (p[1], -MEASURES.index(p[0])))[0]


def client_outcomes(data: ClientData, decisions: dict[tuple[int, int], Any] | None = None) -> dict[str, Any]:
    """The whole outcome analysis for one client (plain data)."""
    rules = outcome_rules()
    obs = observations(data)
    first_session = data.notes[0].starts_at if data.notes else None
    series = build_series(obs, first_session, rules.data.current_window_weeks)
    t0 = next(iter(series.values())).t0
    plan = choose_plan(data.plans)
    measures = {m: measure_summary(s, data.notes) for m, s in series.items()}
    pgic = pgic_summary(data, t0)
    if decisions is None:
        if plan is not None and t0 is not None and plan.reevaluation_weeks:
            decisions = ReevaluationDecision.latest_for_client(data.client)
        else:
            decisions = {}  # no re-evaluation point to decide on (reevaluations() reads none)
    attendance = attendance_summary(data, plan)
    reeval = reevaluations(data, plan, series, pgic["points"], t0, decisions, attendance["stopped"])
    condition = data.conditions[0] if data.conditions else None
    primary = primary_measure(measures)
    result = {
        "client": {
            "id": data.client.id,
            "name": data.client.full_name,
            "date_of_birth": data.client.date_of_birth,
            "referring_clinician": data.client.referring_clinician,
            "goals": data.client.goals,
        },
        "conditions": [
            {
                "type": c.get_type_display(),
                "cause": c.get_cause_display(),
                "diagnosis": c.diagnosis,
                "label": str(c),
            }
            for c in data.conditions
        ],
        "condition": str(condition) if condition else "",
        "plan": (
            {
                "id": plan.id,
                "label": str(plan),
                "status": plan.status,
                "modality": plan.get_modality_display(),
                "therapist": plan.therapist.display_name if plan.therapist else "",
                "course_weeks": plan.course_weeks,
                "reevaluation_weeks": plan.reevaluation_weeks,
                "start_date": plan.start_date,
            }
            if plan
            else None
        ),
        "generated_at": data.now,
        "rules_version": rules.version,
        "course_start": t0,
        "current_week": reeval["current_week"],
        "measures": measures,
        "primary_measure": primary,
        "pgic": pgic,
        "instruments": instrument_trajectories(data, t0),
        "soreness": soreness_summary(data, t0),
        "attendance": attendance,
        "adverse_events": adverse_events(data, t0),
        "reevaluations": reeval["points"],
        "next_reevaluation": reeval["next"],
        "thresholds": {
            "points": rules.responder.points,
            "percent": rules.responder.percent,
            "min_weeks": rules.data.min_weeks_for_verdict,
            "window_weeks": rules.data.current_window_weeks,
            "source": rules.responder.source,
        },
        "caveat": str(CAVEAT),
    }
    result["summary"] = plain_summary(result)
    # Home self-care beside the ratings (issue 18 point 5): adherence per week, for the page and the PDF.
    result["adherence"] = client_adherence(data.client)
    return result


def plain_summary(result: dict[str, Any]) -> list[str]:
    """A few sentences a client can read."""
    lines = [result["attendance"]["text"]]
    for m in MEASURES:
        s = result["measures"][m]
        if s["baseline"] is not None:
            lines.append(s["verdict"])
    primary = result["primary_measure"]
    if primary:
        imm = result["measures"][primary]["immediate"]["mean"]
        if imm.value is not None:
            direction = _("lower") if imm.value < 0 else _("higher")
            text = _(
                "Right after a session, %(m)s was on average %(d)s points %(dir)s than just before (%(n)d sessions)"
            ) % {
                "m": MEASURE_LABELS[primary].lower(),
                "d": fmt(abs(imm.value)),
                "dir": direction,
                "n": imm.n,
            }
            if imm.has_ci:
                # The interval in the same direction as the words ("lower by 0.4 to 1.5").
                lo, hi = (-imm.high, -imm.low) if imm.value < 0 else (imm.low, imm.high)
                text += _("; 95%% CI %(lo)s to %(hi)s points %(dir)s") % {
                    "lo": fmt(lo),
                    "hi": fmt(hi),
                    "dir": direction,
                }
            lines.append(
                text
                + _(". This is the short-term effect on the day, kept apart from the lasting change above.")
            )
    lines.append(result["pgic"]["text"])
    point = (
        next((p for p in reversed(result["reevaluations"]) if p["reached"]), None)
        or result["next_reevaluation"]
    )
    if point:
        action = point["suggestion"]["action"]
        when = (
            _("At the week-%(w)d re-evaluation")
            if point["reached"]
            else _("For the coming week-%(w)d re-evaluation")
        ) % {"w": point["week"]}
        lines.append(
            _("%(when)s NerveCare suggests: %(action)s, for the therapist to accept or overrule.")
            % {"when": when, "action": ACTION_LABELS[action]}
        )
    if result["adverse_events"]:
        lines.append(_("%(n)d adverse event(s) recorded.") % {"n": len(result["adverse_events"])})
    return lines


def client_outcomes_for_user(user: User, client_id: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """One client's outcome analysis, if the user may see the client."""
    client = client_for_outcomes(user, client_id)
    return client_outcomes(client_data(client, reader=user, now=now))
