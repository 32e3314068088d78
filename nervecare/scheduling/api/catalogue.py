"""Routes for what is booked with: services, rooms, a therapist's hours and exceptions, free slots, and the
clients the front desk may book."""

from datetime import datetime, timedelta
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Query, Status

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.errors import FieldErrors
from nervecare.core.permissions import clinic_id_of, clinic_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.plans.models import CarePlan
from nervecare.scheduling import selectors, services
from nervecare.scheduling.api.common import clinic_therapist, router
from nervecare.scheduling.api.inputs import ExceptionIn, HoursIn, SlotQuery
from nervecare.scheduling.models import WorkingHours
from nervecare.scheduling.schemas import (
    BookingClientOut,
    ExceptionOut,
    HoursOut,
    RoomOut,
    ServiceOut,
    SlotOut,
)


@router.get("/services", response={200: list[ServiceOut], **error_responses()}, summary="Bookable services")
def list_services(request: AuthedHttpRequest) -> list:
    require_scheduling(request.user)
    return [
        {
            "id": s.id,
            "code": s.code,
            "name": s.name,
            "modality": s.modality,
            "minutes": s.minutes,
            "buffer_minutes": s.buffer_minutes,
            "required_certifications": s.required_certifications,
        }
        for s in selectors.services_for_clinic(clinic_id_of(request.user))
    ]


@router.get(
    "/scheduling/clients",
    response={200: list[BookingClientOut], **error_responses()},
    summary="Clients to book (front desk: no clinical detail)",
)
def booking_clients(request: AuthedHttpRequest, search: str = "") -> list:
    return selectors.clients_for_booking(request.user, search)


@router.get("/rooms", response={200: list[RoomOut], **error_responses()}, summary="Rooms")
def list_rooms(request: AuthedHttpRequest) -> list:
    require_scheduling(request.user)
    return [{"id": r.id, "name": r.name} for r in selectors.rooms_for_clinic(clinic_id_of(request.user))]


@router.get(
    "/therapists/{therapist_id}/hours",
    response={200: list[HoursOut], **error_responses(404)},
    summary="A therapist's weekly hours",
)
def get_hours(request: AuthedHttpRequest, therapist_id: int) -> list:
    therapist = clinic_therapist(request, therapist_id)
    return [_hours_out(h) for h in therapist.working_hours.all()]


@router.put(
    "/therapists/{therapist_id}/hours",
    response={200: list[HoursOut], **error_responses(404, *BODY)},
    summary="Replace a therapist's weekly hours",
)
def put_hours(request: AuthedHttpRequest, therapist_id: int, payload: HoursIn) -> list:
    therapist = clinic_therapist(request, therapist_id)
    rows = services.working_hours_set(
        actor=request.user, therapist=therapist, hours=[h.model_dump() for h in payload.hours]
    )
    return [_hours_out(h) for h in rows]


def _hours_out(h: WorkingHours) -> dict[str, Any]:
    return {
        "weekday": h.weekday,
        "start": h.start,
        "end": h.end,
        "every_weeks": h.every_weeks,
        "anchor_date": h.anchor_date,
    }


@router.post(
    "/therapists/{therapist_id}/exceptions",
    response={201: ExceptionOut, **error_responses(404, *BODY)},
    summary="Time off or extra hours",
)
def add_exception(request: AuthedHttpRequest, therapist_id: int, payload: ExceptionIn) -> Status:
    therapist = clinic_therapist(request, therapist_id)
    e = services.exception_add(actor=request.user, therapist=therapist, **payload.model_dump())
    return Status(
        201, {"id": e.id, "kind": e.kind, "starts_at": e.starts_at, "ends_at": e.ends_at, "note": e.note}
    )


@router.get(
    "/slots",
    response={200: list[SlotOut], **error_responses(404)},
    summary="The next free slots for a service",
)
def find_slots(request: AuthedHttpRequest, query: Query[SlotQuery]) -> list:
    require_scheduling(request.user)
    clinic = clinic_of(request.user)
    service = get_object_or_404(selectors.services_for_clinic(clinic.id), pk=query.service_id)
    plan = None
    if query.plan_id:
        plan = get_object_or_404(CarePlan, pk=query.plan_id, client__clinic_id=clinic.id)
    if query.therapist_id:
        therapists = [clinic_therapist(request, query.therapist_id)]
    else:
        therapists = selectors.qualified_therapists(clinic.id, service, plan)
    tz = selectors.clinic_tz(clinic)
    start = query.start or datetime.now(tz).date()
    end = query.end or start + timedelta(days=14)
    if end < start or (end - start).days > 92:
        raise FieldErrors({"end": "must be on or after start, at most 92 days later"})
    return selectors.free_slots(
        clinic=clinic, service=service, start=start, end=end, therapists=therapists, limit=query.limit
    )
