"""Staff's API for online booking (signed in, or a token with schedule:write): cancel a request from the
public booking page that is still only held. The same service as the staff page."""

from __future__ import annotations

from typing import Any

from ninja import Router

from nervecare.booking import services
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import selectors
from nervecare.scheduling.api import CancelIn, appointment_as_dict
from nervecare.scheduling.schemas import AppointmentOut

router = Router(tags=["online booking (staff)"])


@router.post(
    "/appointments/{appointment_id}/cancel-hold",
    response={200: AppointmentOut, **error_responses(404, *BODY)},
    summary="Cancel a held online request (not yet confirmed by e-mail)",
)
def cancel_hold(request: AuthedHttpRequest, appointment_id: int, payload: CancelIn) -> dict[str, Any]:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    services.online_booking_cancel_hold(actor=request.user, appointment=appointment, reason=payload.reason)
    return appointment_as_dict(selectors.appointment_get_for_user(request.user, appointment_id))
