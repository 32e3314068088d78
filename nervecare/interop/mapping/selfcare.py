"""CarePlan: a client's home self-care programme (issue 18 point 7), one activity per assigned item.

The programme's items come prefetched (selectors); the items' words come from the self-care library (data)."""

from __future__ import annotations

from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import Resource, coding, concept, iso, ref
from nervecare.selfcare.library import library

CS_SELFCARE_ITEM = f"{codes.BASE}/CodeSystem/selfcare-item"
PROGRAMME_STATUS = {"active": "active", "ended": "completed"}


def _timing(item: Any, starts_on: Any, ends_on: Any) -> dict[str, Any]:
    repeat: dict[str, Any] = {"duration": item.minutes, "durationUnit": "min"}
    if item.days_per_week == 7:
        repeat |= {"frequency": item.times_per_day, "period": 1, "periodUnit": "d"}
    else:
        repeat |= {"frequency": item.days_per_week * item.times_per_day, "period": 1, "periodUnit": "wk"}
    bounds = {"start": iso(starts_on)}
    if ends_on is not None:
        bounds["end"] = iso(ends_on)
    repeat["boundsPeriod"] = bounds
    return {"repeat": repeat}


def _activity_status(programme: Any, pi: Any) -> str:
    if pi.removed_at is not None:
        return "stopped"
    return "in-progress" if programme.status == "active" else "completed"


def selfcare_programme(programme: Any, author_id: int | None = None) -> Resource:
    """The programme as a CarePlan (intent "plan", category "home self-care"); `author_id`: the Practitioner
    who assigned it, when they are one of the clinic's therapists."""
    lib = library()
    activities = []
    for pi in programme.items.all():
        item = lib.get(pi.item_code)
        if item is None:
            continue
        detail: dict[str, Any] = {
            "kind": "Task",
            "code": concept(coding(CS_SELFCARE_ITEM, item.code, item.title), text=item.title),
            "status": _activity_status(programme, pi),
            "scheduledTiming": _timing(item, pi.starts_on, pi.ends_on),
            "description": " ".join(item.instructions.split()),
        }
        activity: dict[str, Any] = {"detail": detail}
        if pi.note:
            activity["progress"] = [{"text": f"Therapist's note: {pi.note}"}]
        activities.append(activity)
    res: Resource = {
        "resourceType": "CarePlan",
        "id": f"selfcare-{programme.pk}",
        "meta": {"lastUpdated": iso(programme.updated_at)},
        "status": PROGRAMME_STATUS.get(programme.status, "unknown"),
        "intent": "plan",
        "category": [concept(text="Home self-care programme")],
        "title": programme.title,
        "subject": ref("Patient", programme.client_id),
        "created": iso(programme.created_at),
        "period": {"start": iso(programme.starts_on)}
        | ({"end": iso(programme.ends_on)} if programme.ends_on else {}),
        "activity": activities,
        "note": [
            {
                "text": "Home self-care is the therapist's judgement: no trial evidence shows self-massage "
                "treats neuropathy. Items contraindicated by the client's open safety flags are never assigned."
            }
        ],
    }
    if author_id is not None:
        res["author"] = ref("Practitioner", author_id)
    return res
