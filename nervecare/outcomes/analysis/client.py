"""The whole picture for one client: every rating, the instruments, attendance, adverse events and the
re-evaluation points, the primary rating, and the plain-words summary."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from nervecare.core.models import User
from nervecare.outcomes.adherence import client_adherence
from nervecare.outcomes.analysis.attendance import adverse_events, attendance_summary
from nervecare.outcomes.analysis.instruments import instrument_trajectories, pgic_summary, soreness_summary
from nervecare.outcomes.analysis.labels import CAVEAT, MEASURE_LABELS, fmt
from nervecare.outcomes.analysis.measures import measure_summary, observations
from nervecare.outcomes.models import ReevaluationDecision
from nervecare.outcomes.reevaluation import ACTION_LABELS, reevaluations
from nervecare.outcomes.rules import outcome_rules
from nervecare.outcomes.selectors import ClientData, choose_plan, client_data, client_for_outcomes
from nervecare.outcomes.series import (
    MEASURES,
    build_series,
)


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
