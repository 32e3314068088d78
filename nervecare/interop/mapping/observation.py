"""Observation: screening totals, intake ratings and session-note ratings."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import (
    CONDITION_RATINGS,
    INTERPRETATION,
    NOTE_RATINGS,
    OBSERVATION_CATEGORY,
    Resource,
    coding,
    concept,
    extension,
    fhir_id,
    iso,
    practitioner_ref,
    ref,
    score_quantity,
)


# Shared by every rating of a symptom (built once: the bulk export maps millions of them). Resources are
# serialised as they are made and never changed, so sharing these small dicts is safe.
@cache
def _rating_code(symptom: str) -> dict[str, Any]:
    entry = codes.ratings()[symptom]
    codings = []
    if entry.get("loinc"):
        codings.append(coding(codes.LOINC, entry["loinc"], entry.get("loinc_display")))
    codings.append(coding(codes.CS_OBSERVATION, entry["code"], entry["display"]))
    return concept(*codings, text=entry["display"])


@cache
def _category(code: str) -> list[dict[str, Any]]:
    return [concept(coding(OBSERVATION_CATEGORY, code))]


def _rating(
    obs_id: str, client_id: int, symptom: str, value: int, when: dt.datetime | None, category: str
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "category": _category(category),
        "code": _rating_code(symptom),
        "subject": ref("Patient", client_id),
        "effectiveDateTime": iso(when),
        "valueQuantity": score_quantity(value),
    }


def observation_for_response(response: Any, definition: Any, performer: Any | None = None) -> Resource:
    """The total score of a screening (a rating's value for a one-item 0-10 scale); performer: the therapist
    who recorded it, if any."""
    rating = next((s for s, e in codes.ratings().items() if e.get("instrument") == response.instrument), None)
    if rating is not None:
        code = _rating_code(rating)
    else:
        codings = [coding(codes.LOINC, definition.loinc)] if definition.loinc else []
        codings.append(coding(codes.CS_OBSERVATION, response.instrument, f"{definition.short_title} total"))
        code = concept(*codings, text=f"{definition.short_title} total score")
    category = "exam" if definition.kind == "examination" else "survey"
    res: Resource = {
        "resourceType": "Observation",
        "id": f"resp-{response.pk}",
        "meta": {"lastUpdated": iso(response.created_at)},
        "status": "final",
        "category": [concept(coding(OBSERVATION_CATEGORY, category))],
        "code": code,
        "subject": ref("Patient", response.client_id),
        "effectiveDateTime": iso(response.administered_at),
        "valueQuantity": score_quantity(response.total),
        "derivedFrom": [ref("QuestionnaireResponse", response.pk)],
    }
    interpretation = response.interpretation or {}
    if interpretation.get("summary") or interpretation.get("positive") is not None:
        codings = []
        if interpretation.get("positive") is not None:
            codings = [
                coding(INTERPRETATION, "POS", "Positive")
                if interpretation["positive"]
                else coding(INTERPRETATION, "NEG", "Negative")
            ]
        res["interpretation"] = [concept(*codings, text=interpretation.get("summary") or None)]
    if performer is not None:
        res["performer"] = [practitioner_ref(performer)]
    return res


def observations_for_condition(cond: Any) -> list[Resource]:
    """The 0-10 symptom ratings told at intake, one Observation each."""
    return [
        _rating(f"cond-{cond.pk}-{s}", cond.client_id, s, getattr(cond, s), cond.created_at, "survey")
        for s in CONDITION_RATINGS
        if getattr(cond, s) is not None
    ]


def observations_for_note(note: Any, values: dict[str, Any]) -> list[Resource]:
    """The before/after ratings of a signed session note (values: the note with amendments applied)."""
    appointment = note.appointment
    times = {"before": iso(appointment.starts_at), "after": iso(appointment.ends_at)}
    encounter = ref("Encounter", appointment.pk)
    part_of = [ref("Procedure", note.pk)]
    out = []
    for field, symptom, when in NOTE_RATINGS:
        value = values.get(field)
        if value is None:
            continue
        obs = _rating(f"note-{note.pk}-{_FIELD_IDS[field]}", note.client_id, symptom, value, None, "survey")
        obs["effectiveDateTime"] = times[when]
        obs["extension"] = _timing(when)
        obs["encounter"] = encounter
        obs["partOf"] = part_of
        out.append(obs)
    return out


_FIELD_IDS = {field: fhir_id(field) for field, _symptom, _when in NOTE_RATINGS}


@cache
def _timing(when: str) -> list[dict[str, Any]]:
    return [extension("session-timing", valueCode=when)]
