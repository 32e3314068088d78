"""API routes for services, hours, slots, appointments, series and the waitlist."""

from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from nervecare.clients.models import Client
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_view
from nervecare.core.bounds import ScheduleDate, ScheduleDateTime, SearchDateTime
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist
from nervecare.core.permissions import clinic_id_of, clinic_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.plans.models import CarePlan
from nervecare.scheduling import selectors, services
from nervecare.scheduling.models import Appointment, WaitlistEntry, WorkingHours
from nervecare.scheduling.schemas import (
    AppointmentOut,
    BookedOut,
    BookingClientOut,
    ExceptionOut,
    HoursOut,
    PlanProgressOut,
    RoomOut,
    SeriesBookedOut,
    SeriesPreviewOut,
    ServiceOut,
    SlotOut,
    WaitlistEntryOut,
)

router = Router(tags=["scheduling"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class BookIn(Strict):
    client_id: int
    therapist_id: int
    service_id: int
    starts_at: ScheduleDateTime = Field(
        description="ISO 8601; without an offset it is read in the clinic's time zone"
    )
    room_id: int | None = None
    plan_id: int | None = None


class SeriesIn(Strict):
    client_id: int
    therapist_id: int
    service_id: int
    first_date: ScheduleDate = Field(
        description="the local date the course starts: its first session is the first of `weekdays` on or "
        "after it"
    )
    local_time: time
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        None,
        min_length=1,
        max_length=7,
        description="the weekdays of the sessions, 0 = Monday; with a plan, as many as its sessions a week. "
        "Default: the plan's sessions a week spread from first_date's weekday (first_date's weekday alone "
        "without a plan)",
    )
    count: int | None = Field(None, ge=1, le=104, description="defaults to the plan's course")
    plan_id: int | None = None
    room_id: int | None = None
    skip_conflicts: bool = False
    replacements: dict[int, ScheduleDateTime] = Field(
        default_factory=dict, description="index → another start"
    )


class RescheduleIn(Strict):
    starts_at: ScheduleDateTime
    therapist_id: int | None = None


class RescheduleRestIn(Strict):
    local_time: time
    weekday: int | None = Field(None, ge=0, le=6)


class CancelIn(Strict):
    reason: str = Field(min_length=1, max_length=300)


class HoursRow(Strict):
    weekday: int = Field(ge=0, le=6)
    start: time
    end: time
    every_weeks: int = Field(1, ge=1, le=2, description="1: every week; 2: alternate weeks")
    anchor_date: ScheduleDate | None = Field(
        None, description="alternate weeks: a date in a week the hours apply (required with every_weeks 2)"
    )


class HoursIn(Strict):
    hours: list[HoursRow]


class ExceptionIn(Strict):
    kind: Literal["time_off", "extra"]
    starts_at: ScheduleDateTime
    ends_at: ScheduleDateTime
    note: str = Field("", max_length=200)


class WaitlistIn(Strict):
    client_id: int
    service_id: int
    earliest: ScheduleDateTime
    latest: ScheduleDateTime
    therapist_id: int | None = None
    note: str = Field("", max_length=300)


class SlotQuery(Schema):
    service_id: int
    therapist_id: int | None = None
    plan_id: int | None = None
    start: ScheduleDate | None = None
    end: ScheduleDate | None = None
    limit: int = Field(10, ge=1, le=100)


class RangeQuery(Schema):
    start: SearchDateTime
    end: SearchDateTime
    therapist_id: int | None = None
    room_id: int | None = None
    client_id: int | None = None
    include_cancelled: bool = False


def appointment_as_dict(a: Appointment) -> dict[str, Any]:
    tz = selectors.clinic_tz(a.clinic)
    return {
        "id": a.id,
        "client_id": a.client_id,
        "client": f"{a.client.first_name} {a.client.last_name}",
        "therapist_id": a.therapist_id,
        "therapist": a.therapist.display_name,
        "service_id": a.service_id,
        "service": a.service.name,
        "room_id": a.room_id,
        "plan_id": a.plan_id,
        "series_id": a.series_id,
        "series_index": a.series_index,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "held_until": a.blocked_until,
        "local_start": a.starts_at.astimezone(tz).isoformat(),
        "local_end": a.ends_at.astimezone(tz).isoformat(),
        "time_zone": tz.key,
        "status": a.status,
        "due_measures": a.due_measures,
        "cancel_reason": a.cancel_reason,
    }


def _client(request: AuthedHttpRequest, client_id: int) -> Client:
    """A client the user may book (every route that uses it books, or reads what booking needs)."""
    return selectors.client_get_for_scheduling(request.user, client_id)


def _therapist(request: AuthedHttpRequest, therapist_id: int) -> Therapist:
    require_scheduling(request.user)
    return get_object_or_404(Therapist, pk=therapist_id, clinic_id=request.user.clinic_id)


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
    therapist = _therapist(request, therapist_id)
    return [_hours_out(h) for h in therapist.working_hours.all()]


@router.put(
    "/therapists/{therapist_id}/hours",
    response={200: list[HoursOut], **error_responses(404, *BODY)},
    summary="Replace a therapist's weekly hours",
)
def put_hours(request: AuthedHttpRequest, therapist_id: int, payload: HoursIn) -> list:
    therapist = _therapist(request, therapist_id)
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
    therapist = _therapist(request, therapist_id)
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
        therapists = [_therapist(request, query.therapist_id)]
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


@router.get(
    "/appointments",
    response={200: list[AppointmentOut], **error_responses()},
    summary="Appointments in a time range",
)
def list_appointments(request: AuthedHttpRequest, query: Query[RangeQuery]) -> list:
    require_scheduling(request.user)
    if query.end <= query.start or query.end - query.start > timedelta(days=93):
        raise FieldErrors({"end": "must be after start, at most 93 days later"})
    qs = selectors.appointments_in_range(
        clinic_id_of(request.user),
        query.start,
        query.end,
        therapist_id=query.therapist_id,
        room_id=query.room_id,
        client_id=query.client_id,
        include_cancelled=query.include_cancelled,
    )
    # Only the columns appointment_as_dict reads, as plain rows (no model instances for 4 tables per row).
    return [_range_row_as_dict(row) for row in qs.values_list(*_RANGE_ROW)]


# What appointment_as_dict reads, in its order (the clinic's time zone where it uses the zone).
_RANGE_ROW = (
    "id",
    "client_id",
    "client__first_name",
    "client__last_name",
    "therapist_id",
    "therapist__display_name",
    "service_id",
    "service__name",
    "room_id",
    "plan_id",
    "series_id",
    "series_index",
    "starts_at",
    "ends_at",
    "blocked_until",
    "clinic__timezone",
    "status",
    "due_measures",
    "cancel_reason",
)


def _range_row_as_dict(row: tuple) -> dict[str, Any]:
    """appointment_as_dict of one _RANGE_ROW row (the same keys, values and order; a test pins it)."""
    (
        pk,
        client_id,
        first_name,
        last_name,
        therapist_id,
        therapist,
        service_id,
        service,
        room_id,
        plan_id,
        series_id,
        series_index,
        starts_at,
        ends_at,
        blocked_until,
        tz_name,
        status,
        due_measures,
        cancel_reason,
    ) = row
    tz = ZoneInfo(tz_name)  # selectors.clinic_tz (ZoneInfo keeps one instance per zone)
    return {
        "id": pk,
        "client_id": client_id,
        "client": f"{first_name} {last_name}",
        "therapist_id": therapist_id,
        "therapist": therapist,
        "service_id": service_id,
        "service": service,
        "room_id": room_id,
        "plan_id": plan_id,
        "series_id": series_id,
        "series_index": series_index,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "held_until": blocked_until,
        "local_start": starts_at.astimezone(tz).isoformat(),
        "local_end": ends_at.astimezone(tz).isoformat(),
        "time_zone": tz.key,
        "status": status,
        "due_measures": due_measures,
        "cancel_reason": cancel_reason,
    }


@router.post(
    "/appointments",
    response={201: BookedOut, **error_responses(404, 409, *BODY)},
    summary="Book one appointment",
)
def book(request: AuthedHttpRequest, payload: BookIn) -> Status:
    client = _client(request, payload.client_id)
    booking = services.appointment_book(
        actor=request.user,
        client=client,
        therapist_id=payload.therapist_id,
        service_id=payload.service_id,
        starts_at=payload.starts_at,
        room_id=payload.room_id,
        plan_id=payload.plan_id,
    )
    return Status(201, appointment_as_dict(booking.appointment) | {"warnings": booking.warnings})


@router.get(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, **error_responses(404)},
    summary="One appointment",
)
def get_appointment(request: AuthedHttpRequest, appointment_id: int) -> dict:
    return appointment_as_dict(selectors.appointment_get_for_user(request.user, appointment_id))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response={200: AppointmentOut, **error_responses(404, 409, *BODY)},
    summary="Move one appointment",
)
def reschedule(request: AuthedHttpRequest, appointment_id: int, payload: RescheduleIn) -> dict:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    moved = services.appointment_reschedule(
        actor=request.user,
        appointment=appointment,
        starts_at=payload.starts_at,
        therapist_id=payload.therapist_id,
    )
    return appointment_as_dict(selectors.appointment_get_for_user(request.user, moved.id))


@router.post(
    "/appointments/{appointment_id}/reschedule-rest",
    response={200: list[AppointmentOut], **error_responses(404, 409, *BODY)},
    summary="Move this and every later appointment of its series",
)
def reschedule_rest(request: AuthedHttpRequest, appointment_id: int, payload: RescheduleRestIn) -> list:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    moved = services.series_reschedule_rest(
        actor=request.user,
        appointment=appointment,
        local_time=payload.local_time,
        weekday=payload.weekday,
    )
    return [appointment_as_dict(selectors.appointment_get_for_user(request.user, a.id)) for a in moved]


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, **error_responses(404, *BODY)},
    summary="Cancel (reason required)",
)
def cancel(request: AuthedHttpRequest, appointment_id: int, payload: CancelIn) -> dict:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    services.appointment_cancel(actor=request.user, appointment=appointment, reason=payload.reason)
    return appointment_as_dict(selectors.appointment_get_for_user(request.user, appointment_id))


@router.post(
    "/appointments/{appointment_id}/no-show",
    response={200: AppointmentOut, **error_responses(404)},
    summary="Mark a no-show",
)
def no_show(request: AuthedHttpRequest, appointment_id: int) -> dict:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    services.appointment_no_show(actor=request.user, appointment=appointment)
    return appointment_as_dict(selectors.appointment_get_for_user(request.user, appointment_id))


@router.post(
    "/appointments/{appointment_id}/check-in",
    response={200: BookedOut, **error_responses(404, 409)},
    summary="Check in (runs the safety check)",
)
def check_in(request: AuthedHttpRequest, appointment_id: int) -> dict:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    booking = services.appointment_check_in(actor=request.user, appointment=appointment)
    return appointment_as_dict(selectors.appointment_get_for_user(request.user, appointment_id)) | {
        "warnings": booking.warnings
    }


@router.post(
    "/series/preview",
    response={200: SeriesPreviewOut, **error_responses(404, *BODY)},
    summary="Which dates of a course (N a week on chosen weekdays) are free, and alternatives for the rest",
)
def preview_series(request: AuthedHttpRequest, payload: SeriesIn) -> dict:
    client = _client(request, payload.client_id)
    return services.series_preview(
        actor=request.user,
        client=client,
        therapist_id=payload.therapist_id,
        service_id=payload.service_id,
        first_date=payload.first_date,
        local_time=payload.local_time,
        count=payload.count,
        plan_id=payload.plan_id,
        room_id=payload.room_id,
        weekdays=payload.weekdays,
    )


@router.post(
    "/series",
    response={201: SeriesBookedOut, **error_responses(404, 409, *BODY)},
    summary="Book a course (whole; dates that cannot be booked replaced, or skipped when asked)",
)
def book_series(request: AuthedHttpRequest, payload: SeriesIn) -> Status:
    client = _client(request, payload.client_id)
    result = services.series_book(
        actor=request.user,
        client=client,
        therapist_id=payload.therapist_id,
        service_id=payload.service_id,
        first_date=payload.first_date,
        local_time=payload.local_time,
        count=payload.count,
        plan_id=payload.plan_id,
        room_id=payload.room_id,
        skip_conflicts=payload.skip_conflicts,
        replacements=payload.replacements,
        weekdays=payload.weekdays,
    )
    appointments = Appointment.objects.filter(series=result["series"]).select_related(
        "client", "therapist", "service", "clinic"
    )
    return Status(
        201,
        {
            "series_id": result["series"].id,
            "weekdays": result["series"].weekdays,
            "rule": result["series"].rule,
            "appointments": [appointment_as_dict(a) for a in appointments],
            "skipped": result["skipped"],
            "warnings": result["warnings"],
        },
    )


@router.get(
    "/clients/{client_id}/plans/{plan_id}/progress",
    response={200: PlanProgressOut, **error_responses(404)},
    summary="Sessions done, booked, left",
)
def plan_progress(request: AuthedHttpRequest, client_id: int, plan_id: int) -> dict:
    client = _client(request, client_id)
    plan = get_object_or_404(CarePlan, pk=plan_id, client=client)
    audit_view(request.user, plan, "Plan progress viewed (API)")
    return selectors.plan_progress(plan)


@router.post(
    "/waitlist",
    response={201: WaitlistEntryOut, **error_responses(404, *BODY)},
    summary="Put a client on the waitlist",
)
def add_waitlist(request: AuthedHttpRequest, payload: WaitlistIn) -> Status:
    client = _client(request, payload.client_id)
    entry = services.waitlist_add(
        actor=request.user,
        client=client,
        service_id=payload.service_id,
        earliest=payload.earliest,
        latest=payload.latest,
        therapist_id=payload.therapist_id,
        note=payload.note,
    )
    return Status(201, _entry(entry))


@router.get("/waitlist", response={200: list[WaitlistEntryOut], **error_responses()}, summary="The waitlist")
def list_waitlist(request: AuthedHttpRequest) -> list:
    require_scheduling(request.user)
    return [_entry(e) for e in WaitlistEntry.objects.filter(client__clinic_id=clinic_id_of(request.user))]


@router.post(
    "/waitlist/{entry_id}/accept",
    response={200: BookedOut, **error_responses(404, 409)},
    summary="Book the time offered to a waitlist entry",
)
def accept_waitlist(request: AuthedHttpRequest, entry_id: int) -> dict:
    require_scheduling(request.user)
    entry = get_object_or_404(WaitlistEntry, pk=entry_id, client__clinic_id=clinic_id_of(request.user))
    booking = services.waitlist_accept(actor=request.user, entry=entry)
    return appointment_as_dict(booking.appointment) | {"warnings": booking.warnings}


def _entry(e: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "client_id": e.client_id,
        "service_id": e.service_id,
        "therapist_id": e.therapist_id,
        "earliest": e.earliest,
        "latest": e.latest,
        "status": e.status,
        "offered_start": e.offered_appointment_start,
        "offered_therapist_id": e.offered_therapist_id,
    }
