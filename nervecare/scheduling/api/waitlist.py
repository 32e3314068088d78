"""Routes for the waitlist: adding a client, the list, and booking the time offered to an entry."""

from django.shortcuts import get_object_or_404
from ninja import Status

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import services
from nervecare.scheduling.api.common import (
    appointment_as_dict,
    bookable_client,
    router,
    waitlist_entry_as_dict,
)
from nervecare.scheduling.api.inputs import WaitlistIn
from nervecare.scheduling.models import WaitlistEntry
from nervecare.scheduling.schemas import BookedOut, WaitlistEntryOut


@router.post(
    "/waitlist",
    response={201: WaitlistEntryOut, **error_responses(404, *BODY)},
    summary="Put a client on the waitlist",
)
def add_waitlist(request: AuthedHttpRequest, payload: WaitlistIn) -> Status:
    client = bookable_client(request, payload.client_id)
    entry = services.waitlist_add(
        actor=request.user,
        client=client,
        service_id=payload.service_id,
        earliest=payload.earliest,
        latest=payload.latest,
        therapist_id=payload.therapist_id,
        note=payload.note,
    )
    return Status(201, waitlist_entry_as_dict(entry))


@router.get("/waitlist", response={200: list[WaitlistEntryOut], **error_responses()}, summary="The waitlist")
def list_waitlist(request: AuthedHttpRequest) -> list:
    require_scheduling(request.user)
    return [
        waitlist_entry_as_dict(e)
        for e in WaitlistEntry.objects.filter(client__clinic_id=clinic_id_of(request.user))
    ]


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
