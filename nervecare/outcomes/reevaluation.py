"""Re-evaluation points of a plan: the facts at each point (from the data up to it) and NerveCare's
suggestion (continue / adjust / refer) from the rules in data/outcome_rules.yaml, for the therapist to accept
or overrule. Never a diagnosis, never a cure claim."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy

from nervecare.outcomes import stats
from nervecare.outcomes.rules import outcome_rules, suggest
from nervecare.outcomes.selectors import ClientData
from nervecare.outcomes.series import MeasureSeries, course_week, weekly_up_to
from nervecare.visits.selectors import review_rules, soreness_reasons

ACTION_LABELS = {
    "continue": gettext_lazy("continue the plan"),
    "adjust": gettext_lazy("adjust the plan"),
    "refer": gettext_lazy("refer to (or ask) the referring clinician"),
}


def facts_at(
    week: int,
    data: ClientData,
    series: dict[str, MeasureSeries],
    pgic_points: list[dict[str, Any]],
    t0: dt.datetime,
    *,
    final: bool,
    is_current: bool,
) -> dict[str, Any]:
    rules = outcome_rules()
    statuses = {}
    weeks_of_data = 0
    for m, s in series.items():
        current, n = weekly_up_to(s, week, rules.data.current_window_weeks)
        weeks_of_data = max(weeks_of_data, n)
        statuses[m] = stats.classify(
            s.baseline.value if s.baseline else None,
            current,
            n,
            points=rules.responder.points,
            percent=rules.responder.percent,
            worse_points=rules.worsening.points,
            min_weeks=rules.data.min_weeks_for_verdict,
            rule=rules.responder.rule,
        )

    def by_week(at: dt.datetime) -> bool:
        return course_week(at, t0) <= week

    pgic = [p for p in pgic_points if by_week(p["at"])]
    pgic_value = pgic[-1]["value"] if pgic else None
    notes = [n for n in data.notes if by_week(n.starts_at)]
    events = [e for n in notes for e in n.adverse_events]
    soreness = [
        n.ratings["soreness_after"] for n in reversed(notes) if n.ratings["soreness_after"] is not None
    ]
    reasons = soreness_reasons(soreness, review_rules())
    due = [
        a
        for a in data.appointments
        if a.starts_at <= data.now and by_week(a.starts_at) and a.status in ("completed", "no_show")
    ]
    attended = sum(1 for a in due if a.status == "completed")
    last_week = max((course_week(n.starts_at, t0) for n in notes), default=None)
    pgic_responder = pgic_value is not None and pgic_value <= rules.pgic.responder_max
    rating_responder = any(s == stats.RESPONDER for s in statuses.values())
    return {
        "week": week,
        "weeks_of_data": weeks_of_data,
        "enough_data": weeks_of_data >= rules.data.min_weeks_for_verdict or pgic_value is not None,
        "statuses": statuses,
        "rating_responder": rating_responder,
        "pgic": pgic_value,
        "pgic_responder": pgic_responder,
        "pgic_much_worse": pgic_value is not None and pgic_value >= rules.pgic.much_worse_min,
        "any_responder": rating_responder or pgic_responder,
        "any_worse": any(s == stats.WORSE for s in statuses.values()),
        "severe_adverse_event": any(e.severity == "severe" for e in events),
        "unresolved_adverse_event": any(not e.resolved for e in events),
        "soreness_high": bool(reasons),
        "attendance": attended / len(due) if due else None,
        "stopped": last_week is not None and week - last_week >= rules.data.dropout_weeks,
        "open_stop_flags": data.open_stop_flags if is_current else 0,
        "final": final,
    }


def reevaluations(
    data: ClientData,
    plan: Any,
    series: dict[str, MeasureSeries],
    pgic_points: list[dict[str, Any]],
    t0: dt.datetime | None,
    decisions: dict[tuple[int, int], Any],
    stopped_now: bool = False,
) -> dict[str, Any]:
    """Each re-evaluation week of the plan: reached or not, and the suggestion from the data up to it.

    A point not reached yet gets no verdict; the next one shows what the data so far would suggest."""
    if plan is None or t0 is None or not plan.reevaluation_weeks:
        return {"points": [], "next": None, "current_week": course_week(data.now, t0) if t0 else None}
    now_week = course_week(data.now, t0)
    weeks = sorted({int(w) for w in plan.reevaluation_weeks})
    signed_weeks = {course_week(n.starts_at, t0) for n in data.notes if n.starts_at >= t0}
    reached = [w for w in weeks if now_week > w or (now_week == w and w in signed_weeks)]
    latest_reached = reached[-1] if reached else None
    upcoming = next((w for w in weeks if w not in reached), None)
    out = []
    for w in weeks:
        point: dict[str, Any] = {
            "week": w,
            "reached": w in reached,
            "date": t0 + dt.timedelta(weeks=w - 1),
            "facts": None,
            "suggestion": None,
            "decision": decisions.get((plan.id, w)),
            "as_of_week": None,
        }
        if w in reached or w == upcoming:
            as_of = w if w in reached else now_week
            facts = facts_at(
                as_of,
                data,
                series,
                pgic_points,
                t0,
                final=w == weeks[-1],
                is_current=w == upcoming or (w == latest_reached and (upcoming is None or w == now_week)),
            )
            if w == upcoming or (w == latest_reached and upcoming is None):
                # "Now": the client's drop-out status (nothing booked, no session for weeks) decides.
                facts["stopped"] = stopped_now
            point["facts"] = facts
            point["as_of_week"] = as_of
            point["suggestion"] = suggest({k: v for k, v in facts.items() if k != "statuses"})
        out.append(point)
    nxt = next((p for p in out if p["week"] == upcoming), None)
    # The date every page shows (issue 19 point 9): the booked re-evaluation visit when there is one, the
    # plan page's rule (scheduling.selectors.plan_progress: the plan's first booked or checked-in appointment
    # with measures due); otherwise the start of the re-evaluation week.
    booked = next(
        (
            a
            for a in data.appointments
            if a.plan_id == plan.id and a.due_measures and a.status in ("booked", "checked_in")
        ),
        None,
    )
    if nxt is not None and booked is not None:
        nxt["date"] = booked.starts_at
        nxt["appointment_id"] = booked.id
    return {"points": out, "next": nxt, "current_week": now_week}
