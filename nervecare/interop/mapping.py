"""NerveCare's records as FHIR R4 resources: pure functions from model instances to JSON-ready dicts.

Nothing here reads the database: callers (selectors.py) fetch the rows with what each function needs
(select_related/prefetch) and pass it in. Ids are stable: a row's primary key, or for resources made from
part of a row (an Observation per rating) the row's key and the part's name ("note-12-pain-before").
Codes come from data (codes.py); local codes live in NerveCare's own code systems.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from nervecare.core.vocab import load_yaml
from nervecare.interop import codes

Resource = dict[str, Any]

HL7_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
CONDITION_CLINICAL = f"{HL7_TERMINOLOGY}/condition-clinical"
CONDITION_VERIFICATION = f"{HL7_TERMINOLOGY}/condition-ver-status"
CONDITION_CATEGORY = f"{HL7_TERMINOLOGY}/condition-category"
OBSERVATION_CATEGORY = f"{HL7_TERMINOLOGY}/observation-category"
INTERPRETATION = f"{HL7_TERMINOLOGY}/v3-ObservationInterpretation"
FLAG_CATEGORY = f"{HL7_TERMINOLOGY}/flag-category"
ACT_CODE = f"{HL7_TERMINOLOGY}/v3-ActCode"
CONTACT_ROLE = f"{HL7_TERMINOLOGY}/v2-0131"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ASSERTED_DATE = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate"

# NerveCare statuses -> FHIR R4 value sets.
APPOINTMENT_STATUS = {
    "booked": "booked",
    "checked_in": "checked-in",
    "completed": "fulfilled",
    "no_show": "noshow",
    "cancelled": "cancelled",
}
ENCOUNTER_STATUS = {"checked_in": "in-progress", "completed": "finished"}
CAREPLAN_STATUS = {"proposed": "draft", "active": "active", "completed": "completed", "cancelled": "revoked"}
CAREPLAN_ACTIVITY_STATUS = {
    "proposed": "not-started",
    "active": "in-progress",
    "completed": "completed",
    "cancelled": "cancelled",
}
# The 0-10 ratings of a session note: (note field, symptom, before/after).
NOTE_RATINGS = (
    ("pain_before", "pain", "before"),
    ("pain_after", "pain", "after"),
    ("numbness_before", "numbness", "before"),
    ("numbness_after", "numbness", "after"),
    ("tingling_before", "tingling", "before"),
    ("tingling_after", "tingling", "after"),
    ("soreness_after", "soreness", "after"),
)
CONDITION_RATINGS = ("numbness", "pain", "tingling", "burning", "cramps", "weakness", "balance")


@dataclass(frozen=True)
class Context:
    """What a mapping needs beyond the row: the site's address, for links to NerveCare's own pages."""

    site_url: str = ""  # e.g. "https://care.example.org" (no trailing slash); "" gives relative links


# --- small builders --------------------------------------------------------------------------------------


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ref(resource_type: str, resource_id: Any, display: str | None = None) -> dict[str, str]:
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": list(codings)} if codings else {}
    if text:
        out["text"] = text
    return out


def extension(name: str, **value: Any) -> dict[str, Any]:
    """A NerveCare extension: extension("referring-clinician", valueString="Dr Lee")."""
    return {"url": f"{codes.EXT}/{name}", **value}


def number(value: Decimal | int | float) -> int | float:
    """A score as JSON: 7 rather than 7.0, 2.5 as 2.5."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def score_quantity(value: Decimal | int | float) -> dict[str, Any]:
    shown = value if type(value) is int else number(value)
    return {"value": shown, "unit": "score", "system": codes.UCUM, "code": "{score}"}


def fhir_id(code: str) -> str:
    """A NerveCare code as a FHIR id ([A-Za-z0-9-.]): "mnsi_history" -> "mnsi-history"."""
    return code.replace("_", "-")


@cache
def _region_labels() -> dict[str, str]:
    return {r["code"]: r["label"] for r in load_yaml("clients/data/body_regions.yaml")["regions"]}


@cache
def _qualification_labels() -> dict[str, str]:
    return {q["code"]: q["label"] for q in load_yaml("plans/data/plan_defaults.yaml")["qualifications"]}


def practitioner_ref(therapist: Any | None) -> dict[str, str] | None:
    return ref("Practitioner", therapist.pk, therapist.display_name) if therapist is not None else None


# --- people and places -----------------------------------------------------------------------------------


def patient(client: Any, identifiers: list[tuple[str, str]] = (), ctx: Context = Context()) -> Resource:  # noqa: B008
    """Patient from a Client. identifiers: other systems' (system, value) pairs recorded at import."""
    res: Resource = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "meta": {"lastUpdated": iso(client.updated_at)},
        "identifier": [
            {
                "use": "usual",
                "system": codes.SID_CLIENT,
                "value": str(client.pk),
                "assigner": ref("Organization", client.clinic_id),
            },
            *({"system": system, "value": value} for system, value in identifiers),
        ],
        "active": True,
        "name": [
            {
                "use": "official",
                "text": f"{client.first_name} {client.last_name}",
                "family": client.last_name,
                "given": [client.first_name],
            }
        ],
        "birthDate": iso(client.date_of_birth),
        "managingOrganization": ref("Organization", client.clinic_id),
    }
    telecom = []
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    if telecom:
        res["telecom"] = telecom
    if client.address:
        res["address"] = [{"text": client.address}]
    if client.emergency_contact_name or client.emergency_contact_phone:
        contact: dict[str, Any] = {
            "relationship": [concept(coding(CONTACT_ROLE, "C", "Emergency Contact"))],
        }
        if client.emergency_contact_name:
            contact["name"] = {"text": client.emergency_contact_name}
        if client.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": client.emergency_contact_phone}]
        res["contact"] = [contact]
    extensions = []
    if client.referring_clinician:
        extensions.append(extension("referring-clinician", valueString=client.referring_clinician))
    if client.referring_clinician_contact:
        extensions.append(
            extension("referring-clinician-contact", valueString=client.referring_clinician_contact)
        )
    if client.goals:
        extensions.append(extension("client-goals", valueString=client.goals))
    if extensions:
        res["extension"] = extensions
    return res


def practitioner(therapist: Any) -> Resource:
    labels = _qualification_labels()
    res: Resource = {
        "resourceType": "Practitioner",
        "id": str(therapist.pk),
        "meta": {"lastUpdated": iso(therapist.updated_at)},
        "active": therapist.active,
        "name": [{"text": therapist.display_name}],
        "extension": [extension("years-experience", valueInteger=therapist.years_experience)],
    }
    if therapist.certifications:
        res["qualification"] = [
            {"code": concept(coding(codes.CS_QUALIFICATION, c, labels.get(c)), text=labels.get(c, c))}
            for c in therapist.certifications
        ]
    return res


def organization(clinic: Any) -> Resource:
    return {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "meta": {"lastUpdated": iso(clinic.updated_at)},
        "identifier": [{"system": codes.SID_CLINIC, "value": clinic.slug}],
        "active": True,
        "name": clinic.name,
    }


# --- the clinical record ---------------------------------------------------------------------------------


def condition_codings(condition: Any) -> tuple[list[dict[str, str]], str]:
    """SNOMED CT, ICD-10-CM and NerveCare's diagnosis code for a condition, and the text to show."""
    diagnosis = condition.diagnosis_code or codes.default_diagnosis(condition.type, condition.cause)
    entry = codes.diagnoses().get(diagnosis, {})
    out = []
    if entry.get("snomed"):
        out.append(coding(codes.SNOMED, str(entry["snomed"]), entry.get("label")))
    if entry.get("icd10cm"):
        out.append(coding(codes.ICD10CM, str(entry["icd10cm"]), entry.get("label")))
    if entry:
        out.append(coding(codes.CS_DIAGNOSIS, diagnosis, entry.get("label")))
    text = condition.diagnosis or entry.get("label") or str(condition)
    return out, text


def condition(cond: Any) -> Resource:
    codings, text = condition_codings(cond)
    res: Resource = {
        "resourceType": "Condition",
        "id": str(cond.pk),
        "meta": {"lastUpdated": iso(cond.updated_at)},
        "clinicalStatus": concept(coding(CONDITION_CLINICAL, "active")),
        "verificationStatus": concept(
            coding(CONDITION_VERIFICATION, "confirmed" if cond.diagnosis_code else "unconfirmed")
        ),
        "category": [concept(coding(CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))],
        "code": concept(*codings, text=text),
        "subject": ref("Patient", cond.client_id),
        "recordedDate": iso(cond.created_at),
    }
    extensions = [
        extension(
            "neuropathy-type",
            valueCoding=coding(codes.CS_NEUROPATHY_TYPE, cond.type, cond.get_type_display()),
        ),
        extension(
            "neuropathy-cause",
            valueCoding=coding(codes.CS_NEUROPATHY_CAUSE, cond.cause, cond.get_cause_display()),
        ),
    ]
    if cond.phase:
        extensions.append(extension("neuropathy-phase", valueCode=cond.phase))
    if cond.chemotherapy_agent:
        extensions.append(extension("chemotherapy-agent", valueString=cond.chemotherapy_agent))
    if cond.chemotherapy_start or cond.chemotherapy_end:
        period = {
            k: iso(v) for k, v in (("start", cond.chemotherapy_start), ("end", cond.chemotherapy_end)) if v
        }
        extensions.append(extension("chemotherapy-period", valuePeriod=period))
    if cond.diagnosis_date:
        extensions.append({"url": ASSERTED_DATE, "valueDateTime": iso(cond.diagnosis_date)})
    res["extension"] = extensions
    if cond.onset_date:
        res["onsetDateTime"] = iso(cond.onset_date)
    rated = [s for s in CONDITION_RATINGS if getattr(cond, s) is not None]
    if rated:
        res["evidence"] = [{"detail": [ref("Observation", f"cond-{cond.pk}-{s}") for s in rated]}]
    if cond.notes:
        res["note"] = [{"text": cond.notes}]
    return res


def _answer_coding(definition: Any, option: Any) -> dict[str, Any]:
    return {
        "extension": [{"url": ORDINAL_VALUE, "valueDecimal": number(option.score)}],
        **coding(codes.answer_system(definition.code), str(option.value), option.label),
    }


def _question(definition: Any, item: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"linkId": item.id, "text": item.text, "required": True}
    if item.answer_type == "integer":
        out["type"] = "integer"
        out["extension"] = [
            {"url": MIN_VALUE, "valueInteger": item.min},
            {"url": MAX_VALUE, "valueInteger": item.max},
        ]
    else:
        out["type"] = "choice"
        out["answerOption"] = [{"valueCoding": _answer_coding(definition, o)} for o in item.options]
    return out


def _grouped(definition: Any, leaf: Any, group_type: bool = False) -> list[dict[str, Any]]:
    """Items in the definition's sections (as groups), then any item no section lists, in order."""
    by_id = {item.id: item for item in definition.items}
    out, placed = [], set()
    for section in definition.sections:
        children = [leaf(by_id[i]) for i in section.items if i in by_id]
        children = [c for c in children if c is not None]
        placed.update(section.items)
        if children:
            group = {"linkId": f"section.{section.id}", "text": section.title, "item": children}
            out.append({**group, "type": "group"} if group_type else group)
    out.extend(x for item in definition.items if item.id not in placed and (x := leaf(item)) is not None)
    return out


def questionnaire(definition: Any) -> Resource:
    """Questionnaire from an instrument definition (screening/instruments.py)."""
    name = "".join(part.capitalize() for part in definition.code.split("_"))
    res: Resource = {
        "resourceType": "Questionnaire",
        "id": fhir_id(definition.code),
        "url": codes.questionnaire_url(definition.code),
        "version": definition.version,
        "name": name,
        "title": definition.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": definition.citation + (f"\n\n{definition.notes}" if definition.notes else ""),
        "copyright": definition.licence,
        "item": _grouped(definition, lambda item: _question(definition, item), group_type=True),
    }
    if definition.loinc:
        res["code"] = [coding(codes.LOINC, definition.loinc)]
    return res


def questionnaire_response(response: Any, definition: Any, author: Any | None = None) -> Resource:
    """QuestionnaireResponse from a stored InstrumentResponse (definition: the instrument it answered;
    author: the therapist who recorded it, if any)."""
    options = {item.id: {str(o.value): o for o in item.options} for item in definition.items}

    def answer(item: Any) -> dict[str, Any] | None:
        if item.id not in response.answers:
            return None
        value = response.answers[item.id]
        if item.answer_type == "integer":
            return {"linkId": item.id, "answer": [{"valueInteger": int(value)}]}
        option = options[item.id].get(str(value))
        if option is None:  # an answer of an older definition version: keep it as text
            return {"linkId": item.id, "answer": [{"valueString": str(value)}]}
        return {"linkId": item.id, "answer": [{"valueCoding": _answer_coding(definition, option)}]}

    res: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "meta": {"lastUpdated": iso(response.created_at)},
        "questionnaire": f"{codes.questionnaire_url(response.instrument)}|{response.definition_version}",
        "status": "completed",
        "subject": ref("Patient", response.client_id),
        "authored": iso(response.administered_at),
        "item": _grouped(definition, answer),
    }
    if author is not None:
        res["author"] = practitioner_ref(author)
    return res


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


def flag(safety_flag: Any) -> Resource:
    level = safety_flag.level
    res: Resource = {
        "resourceType": "Flag",
        "id": str(safety_flag.pk),
        "meta": {"lastUpdated": iso(safety_flag.last_checked_at)},
        "status": "active" if safety_flag.status == "open" else "inactive",
        "category": [
            concept(coding(FLAG_CATEGORY, "clinical", "Clinical")),
            concept(coding(codes.CS_SAFETY_LEVEL, level, safety_flag.get_level_display())),
        ],
        "code": concept(
            coding(codes.CS_SAFETY_RULE, safety_flag.rule_id, safety_flag.title),
            text=f"{safety_flag.get_level_display()}: {safety_flag.title}. {safety_flag.reason}",
        ),
        "subject": ref("Patient", safety_flag.client_id),
        "period": {"start": iso(safety_flag.raised_at)},
        "extension": [
            extension("safety-area", valueString=safety_flag.area),
            extension("safety-source", valueString=safety_flag.source),
            *(extension("safety-action", valueString=a) for a in safety_flag.actions if isinstance(a, str)),
            *(extension("safety-applies-to", valueCode=m) for m in safety_flag.applies_to),
        ],
    }
    if safety_flag.resolved_at:
        res["period"]["end"] = iso(safety_flag.resolved_at)
    return res


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
    if plan.rationale:
        res["description"] = " ".join(str(r) for r in plan.rationale)
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


def _service_type(service: Any) -> dict[str, Any]:
    return concept(coding(codes.CS_SERVICE, service.code, service.name), text=service.name)


def appointment(appt: Any, service: Any | None = None, therapist: Any | None = None) -> Resource:
    """Appointment; service and therapist default to the appointment's own (pass them to save a query)."""
    service = service or appt.service
    therapist = therapist or appt.therapist
    res: Resource = {
        "resourceType": "Appointment",
        "id": str(appt.pk),
        "meta": {"lastUpdated": iso(appt.updated_at)},
        "status": APPOINTMENT_STATUS[appt.status],
        "serviceType": [_service_type(service)],
        "start": iso(appt.starts_at),
        "end": iso(appt.ends_at),
        "minutesDuration": int((appt.ends_at - appt.starts_at).total_seconds() // 60),
        "created": iso(appt.created_at),
        "participant": [
            {"actor": ref("Patient", appt.client_id), "status": "accepted"},
            {
                "actor": ref("Practitioner", appt.therapist_id, therapist.display_name),
                "status": "accepted",
            },
        ],
    }
    if appt.plan_id:
        res["supportingInformation"] = [ref("CarePlan", appt.plan_id)]
    if appt.status == "cancelled" and appt.cancel_reason:
        res["cancelationReason"] = {"text": appt.cancel_reason}
    if appt.notes_for_client:
        res["patientInstruction"] = appt.notes_for_client
    return res


def encounter(appt: Any, service: Any | None = None, therapist: Any | None = None) -> Resource:
    """Encounter for a session that took place (checked in or completed)."""
    service = service or appt.service
    therapist = therapist or appt.therapist
    minutes = int((appt.ends_at - appt.starts_at).total_seconds() // 60)
    return {
        "resourceType": "Encounter",
        "id": str(appt.pk),
        "meta": {"lastUpdated": iso(appt.updated_at)},
        "status": ENCOUNTER_STATUS[appt.status],
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "serviceType": _service_type(service),
        "subject": ref("Patient", appt.client_id),
        "participant": [{"individual": ref("Practitioner", appt.therapist_id, therapist.display_name)}],
        "appointment": [ref("Appointment", appt.pk)],
        "period": {"start": iso(appt.starts_at), "end": iso(appt.ends_at)},
        "length": {"value": minutes, "unit": "min", "system": codes.UCUM, "code": "min"},
        "serviceProvider": ref("Organization", appt.clinic_id),
    }


def _area_text(area: dict[str, Any]) -> str:
    label = _region_labels().get(area.get("region", ""), area.get("region", ""))
    side = area.get("side") or ""
    suffix = {"left": ", left", "right": ", right", "both": ", both sides"}.get(side, "")
    return f"{label}{suffix}"


def procedure(note: Any, values: dict[str, Any]) -> Resource:
    """Procedure for a signed session note: the massage, with its CPT code (values: amendments applied)."""
    appt = note.appointment
    modality = values["modality"]
    proc = codes.procedure(modality)
    minutes = values.get("minutes")
    end = appt.starts_at + dt.timedelta(minutes=minutes) if minutes else appt.ends_at
    res: Resource = {
        "resourceType": "Procedure",
        "id": str(note.pk),
        "meta": {"lastUpdated": iso(note.updated_at)},
        "status": "completed",
        "code": concept(
            coding(codes.CPT, proc["cpt"]),
            coding(codes.CS_MODALITY, modality, proc["display"]),
            text=proc["display"],
        ),
        "subject": ref("Patient", note.client_id),
        "encounter": ref("Encounter", appt.pk),
        "performedPeriod": {"start": iso(appt.starts_at), "end": iso(end)},
        "performer": [{"actor": ref("Practitioner", appt.therapist_id)}],
    }
    if values.get("pressure"):
        res["extension"] = [extension("massage-pressure", valueCode=values["pressure"])]
    areas = [a for a in values.get("areas_treated") or [] if isinstance(a, dict)]
    if areas:
        res["bodySite"] = [{"text": _area_text(a)} for a in areas]
    soap = [
        f"{label}: {values[name]}"
        for name, label in (
            ("subjective", "S"),
            ("objective", "O"),
            ("assessment", "A"),
            ("plan", "P"),
            ("next_session_plan", "Next session"),
        )
        if values.get(name)
    ]
    if soap:
        res["note"] = [{"text": "\n".join(soap), "time": iso(note.signed_at)}]
    return res


def document_reference(client: Any, ctx: Context = Context()) -> Resource:  # noqa: B008
    """The client's progress report, a PDF NerveCare produces on request."""
    return {
        "resourceType": "DocumentReference",
        "id": f"report-{client.pk}",
        "status": "current",
        "type": concept(
            coding(codes.CS_DOCUMENT_TYPE, "progress-report", "Progress report"), text="Progress report"
        ),
        "subject": ref("Patient", client.pk),
        "description": "Progress report (PDF, produced when opened)",
        "custodian": ref("Organization", client.clinic_id),
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": f"{ctx.site_url}/api/v1/clients/{client.pk}/report.pdf",
                    "title": f"Progress report — {client.first_name} {client.last_name}",
                }
            }
        ],
    }


# --- messages --------------------------------------------------------------------------------------------


def operation_outcome(*issues: tuple[str, ...]) -> Resource:
    """OperationOutcome from (severity, code, diagnostics[, expression]) issues."""
    out = []
    for severity, code, diagnostics, *where in issues:
        issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
        if where and where[0]:
            issue["expression"] = [where[0]]
        out.append(issue)
    return {"resourceType": "OperationOutcome", "issue": out}
