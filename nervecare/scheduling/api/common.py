"""The scheduling API's router and what its routes share: an appointment as the API gives it, and the client
or therapist a route is about (each through the rule that decides who may)."""

from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router

from nervecare.clients.models import Client
from nervecare.core.models import Therapist
from nervecare.core.permissions import require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import selectors
from nervecare.scheduling.models import Appointment, WaitlistEntry


class _Router(Router):
    """A route's operationId stays the one it had when these routes were one module (nervecare.scheduling.api):
    the published API, and clients generated from it, do not change with the package's layout."""

    def add_api_operation(self, path: str, methods: list[str], view_func: Callable, **kwargs: Any) -> None:
        kwargs["operation_id"] = (
            kwargs.get("operation_id") or f"nervecare_scheduling_api_{view_func.__name__}"
        )
        super().add_api_operation(path, methods, view_func, **kwargs)


router = _Router(tags=["scheduling"])


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


def bookable_client(request: AuthedHttpRequest, client_id: int) -> Client:
    """A client the user may book (every route that uses it books, or reads what booking needs)."""
    return selectors.client_get_for_scheduling(request.user, client_id)


def clinic_therapist(request: AuthedHttpRequest, therapist_id: int) -> Therapist:
    require_scheduling(request.user)
    return get_object_or_404(Therapist, pk=therapist_id, clinic_id=request.user.clinic_id)


def waitlist_entry_as_dict(e: WaitlistEntry) -> dict[str, Any]:
    """A waitlist entry as the API answers it (the waitlist routes and the front desk's)."""
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
