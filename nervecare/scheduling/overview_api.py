"""GET /clients/{id}/overview (issue 20): a client with their appointments and the therapists' names, in one
request, for the desk and the booking therapist (what booking needs; no clinical content)."""

from ninja import Field, Router, Schema

from nervecare.core.api_support import error_responses
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling.api import appointment_as_dict
from nervecare.scheduling.overview import client_overview
from nervecare.scheduling.schemas import AppointmentOut

router = Router(tags=["scheduling"])


class OverviewClientOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    primary_therapist_id: int | None
    primary_therapist: str | None = Field(description="The usual therapist's name.")


class OverviewOut(Schema):
    client: OverviewClientOut
    appointments: list[AppointmentOut] = Field(
        description="Appointments that hold time (booked, checked in, done, no-show) from 93 days ago on, "
        "oldest first, at most 200."
    )


@router.get(
    "/clients/{client_id}/overview",
    response={200: OverviewOut, **error_responses(404)},
    summary="A client with their appointments (contact and bookings only)",
)
def client_overview_get(request: AuthedHttpRequest, client_id: int) -> dict:
    client, appointments = client_overview(request.user, client_id)
    therapist = client.primary_therapist
    return {
        "client": {
            "id": client.pk,
            "first_name": client.first_name,
            "last_name": client.last_name,
            "email": client.email,
            "phone": client.phone,
            "primary_therapist_id": client.primary_therapist_id,
            "primary_therapist": therapist.display_name if therapist else None,
        },
        "appointments": [appointment_as_dict(a) for a in appointments],
    }
