"""Routes for appointments: a time range, booking one, reading one, moving, cancelling, no-show, check-in."""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ninja import Query, Status

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.errors import FieldErrors
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import selectors, services
from nervecare.scheduling.api.common import appointment_as_dict, bookable_client, router
from nervecare.scheduling.api.inputs import BookIn, CancelIn, RangeQuery, RescheduleIn, RescheduleRestIn
from nervecare.scheduling.schemas import AppointmentOut, BookedOut


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
    client = bookable_client(request, payload.client_id)
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
