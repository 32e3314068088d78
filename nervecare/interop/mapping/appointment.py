"""Appointment and Encounter: booked sessions and the sessions that took place."""

from __future__ import annotations

from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import (
    ACT_CODE,
    APPOINTMENT_STATUS,
    ENCOUNTER_STATUS,
    Resource,
    coding,
    concept,
    iso,
    ref,
)


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
