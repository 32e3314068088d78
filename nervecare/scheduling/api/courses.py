"""Routes for a course of sessions (a series): its preview and its booking, and a care plan's progress."""

from django.shortcuts import get_object_or_404
from ninja import Status

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_view
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.plans.models import CarePlan
from nervecare.scheduling import selectors, services
from nervecare.scheduling.api.common import appointment_as_dict, bookable_client, router
from nervecare.scheduling.api.inputs import SeriesIn
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.schemas import PlanProgressOut, SeriesBookedOut, SeriesPreviewOut


@router.post(
    "/series/preview",
    response={200: SeriesPreviewOut, **error_responses(404, *BODY)},
    summary="Which dates of a course (N a week on chosen weekdays) are free, and alternatives for the rest",
)
def preview_series(request: AuthedHttpRequest, payload: SeriesIn) -> dict:
    client = bookable_client(request, payload.client_id)
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
    client = bookable_client(request, payload.client_id)
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
    client = bookable_client(request, client_id)
    plan = get_object_or_404(CarePlan, pk=plan_id, client=client)
    audit_view(request.user, plan, "Plan progress viewed (API)")
    return selectors.plan_progress(plan)
