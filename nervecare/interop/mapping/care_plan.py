"""CarePlan: a client's plan of sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import (
    CAREPLAN_ACTIVITY_STATUS,
    CAREPLAN_STATUS,
    Resource,
    coding,
    concept,
    iso,
    ref,
)
from nervecare.plans.selectors import BLOCKED_PREFIXES


def care_plan(plan: Any) -> Resource:
    proc = codes.procedure(plan.modality)
    detail: dict[str, Any] = {
        "kind": "ServiceRequest",
        "code": concept(
            coding(codes.CPT, proc["cpt"]),
            coding(codes.CS_MODALITY, plan.modality, plan.get_modality_display()),
            text=plan.get_modality_display(),
        ),
        "status": CAREPLAN_ACTIVITY_STATUS[plan.status],
        "scheduledTiming": {
            "repeat": {
                "count": plan.sessions_per_week * plan.course_weeks,
                "duration": plan.session_minutes,
                "durationUnit": "min",
                "frequency": plan.sessions_per_week,
                "period": 1,
                "periodUnit": "wk",
            }
        },
        "description": f"{plan.get_scope_display()}, {plan.get_pressure_display().lower()} pressure",
    }
    if plan.therapist_id:
        detail["performer"] = [ref("Practitioner", plan.therapist_id)]
    res: Resource = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": {"lastUpdated": iso(plan.updated_at)},
        "status": CAREPLAN_STATUS[plan.status],
        "intent": "proposal" if plan.status == "proposed" else "plan",
        "title": str(plan),
        "subject": ref("Patient", plan.client_id),
        "created": iso(plan.created_at),
        "activity": [{"detail": detail}],
    }
    # The standing reasons only: what blocks the plan changes and is not part of its description.
    reasons = [str(r) for r in plan.rationale if not str(r).startswith(BLOCKED_PREFIXES)]
    if reasons:
        res["description"] = " ".join(reasons)
    if plan.start_date:
        end = plan.start_date + dt.timedelta(weeks=plan.course_weeks)
        res["period"] = {"start": iso(plan.start_date), "end": iso(end)}
    if plan.therapist_id:
        res["author"] = ref("Practitioner", plan.therapist_id)
    notes = [f"Precaution: {p}" for p in plan.precautions] + [f"Avoid: {a}" for a in plan.avoid_areas]
    measures = [m.get("instrument", "") if isinstance(m, dict) else str(m) for m in plan.outcome_measures]
    if measures:
        notes.append("Outcome measures: " + ", ".join(m for m in measures if m))
    if notes:
        res["note"] = [{"text": n} for n in notes]
    return res
