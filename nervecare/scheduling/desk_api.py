"""The front desk's API: the day of every therapist or room with free time, check-out and the undoing of a
check-in or check-out, client search and registration with contact details only, the day list (and its
email), and the waitlist's matches, offers and withdrawals. The same services as the desk's pages."""

from datetime import date, datetime
from typing import Any, Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from nervecare.clients.services import client_register
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.bounds import ScheduleDate, ScheduleDateTime
from nervecare.core.models import Therapist
from nervecare.core.permissions import clinic_id_of, clinic_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import day as day_selectors
from nervecare.scheduling import selectors, services
from nervecare.scheduling.api import appointment_as_dict, waitlist_entry_as_dict
from nervecare.scheduling.models import WaitlistEntry
from nervecare.scheduling.schemas import AppointmentOut, SlotOut, WaitlistEntryOut

router = Router(tags=["front desk"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class FreeOut(Schema):
    starts_at: datetime
    ends_at: datetime
    local_start: str
    local_end: str


class DayColumnOut(Schema):
    id: int = Field(description="The therapist's (or room's) id.")
    name: str
    appointments: list[AppointmentOut]
    free: list[FreeOut] = Field(description="Free time from now on (none on a closed day).")


class DayOut(Schema):
    date: date
    by: str
    time_zone: str
    closed: str | None = Field(description="The closure's name when the clinic is closed that day.")
    columns: list[DayColumnOut]


class DayQuery(Schema):
    date: ScheduleDate | None = Field(None, description="The clinic's local date; today if left out.")
    by: Literal["therapist", "room"] = "therapist"


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    email: str
    phone: str
    next_appointment: datetime | None = None


class SearchQuery(Schema):
    search: str = Field("", max_length=100, description="Words of a name, an email or a phone number.")


class RegisterIn(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=500)
    emergency_contact_name: str = Field("", max_length=200)
    emergency_contact_phone: str = Field("", max_length=40)


class RegisteredOut(Schema):
    client: ContactOut
    notes: list[str] = Field(description="What followed (the portal invitation sent, or why not).")


class DayListRowOut(Schema):
    id: int
    start: datetime
    end: datetime
    client: str
    phone: str
    service: str
    room: str
    status: str
    note_for_client: str


class DayListQuery(Schema):
    date: ScheduleDate | None = None


class DayListEmailIn(Strict):
    date: ScheduleDate


class EmailQueuedOut(Schema):
    sent_to: str


class OfferIn(Strict):
    therapist_id: int
    starts_at: ScheduleDateTime


def _today(request: AuthedHttpRequest) -> date:
    return timezone.localdate(timezone=selectors.clinic_tz(clinic_of(request.user)))


def _free_out(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "starts_at": f["local_start"],
        "ends_at": f["local_end"],
        "local_start": f["local_start"].isoformat(),
        "local_end": f["local_end"].isoformat(),
    }


@router.get("/day", response={200: DayOut, **error_responses()}, summary="The day: every therapist or room")
def get_day(request: AuthedHttpRequest, query: Query[DayQuery]) -> dict:
    require_scheduling(request.user)
    clinic = clinic_of(request.user)
    schedule = day_selectors.day_schedule(clinic, query.date or _today(request), by=query.by)
    return {
        "date": schedule["day"],
        "by": schedule["by"],
        "time_zone": schedule["tz"],
        "closed": schedule["closure"].name if schedule["closure"] else None,
        "columns": [
            {
                "id": c.id,
                "name": c.name,
                "appointments": [appointment_as_dict(b["appointment"]) for b in c.blocks],
                "free": [_free_out(f) for f in c.free],
            }
            for c in schedule["columns"]
        ],
    }


def _appointment_action(request: AuthedHttpRequest, appointment_id: int, action: Any) -> dict:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    action(actor=request.user, appointment=appointment)
    return appointment_as_dict(selectors.appointment_get_for_user(request.user, appointment_id))


@router.post(
    "/appointments/{appointment_id}/check-out",
    response={200: AppointmentOut, **error_responses(404)},
    summary="Check out (the visit is complete; on its day)",
)
def check_out(request: AuthedHttpRequest, appointment_id: int) -> dict:
    return _appointment_action(request, appointment_id, services.check_out)


@router.post(
    "/appointments/{appointment_id}/undo-check-in",
    response={200: AppointmentOut, **error_responses(404)},
    summary="Undo a check-in (on its day)",
)
def undo_check_in(request: AuthedHttpRequest, appointment_id: int) -> dict:
    return _appointment_action(request, appointment_id, services.appointment_check_in_undo)


@router.post(
    "/appointments/{appointment_id}/undo-check-out",
    response={200: AppointmentOut, **error_responses(404)},
    summary="Undo a check-out (on its day)",
)
def undo_check_out(request: AuthedHttpRequest, appointment_id: int) -> dict:
    return _appointment_action(request, appointment_id, services.check_out_undo)


@router.get(
    "/desk/clients",
    response={200: list[ContactOut], **error_responses()},
    summary="Find clients by name, email or phone (contact details only)",
)
def search_clients(request: AuthedHttpRequest, query: Query[SearchQuery]) -> list:
    return selectors.client_contacts(request.user, query.search)


@router.post(
    "/desk/clients",
    response={201: RegisteredOut, **error_responses(*BODY)},
    summary="Register a client with contact details only (sends the intake invitation)",
)
def register_client(request: AuthedHttpRequest, payload: RegisterIn) -> Status:
    client, notes = client_register(actor=request.user, data=payload.model_dump())
    contact = {
        "id": client.id,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "date_of_birth": client.date_of_birth,
        "email": client.email,
        "phone": client.phone,
    }
    return Status(201, {"client": contact, "notes": notes})


def _therapist(request: AuthedHttpRequest, therapist_id: int) -> Therapist:
    require_scheduling(request.user)
    return get_object_or_404(Therapist, pk=therapist_id, clinic_id=clinic_id_of(request.user))


@router.get(
    "/therapists/{therapist_id}/day-list",
    response={200: list[DayListRowOut], **error_responses(404)},
    summary="A therapist's day list",
)
def get_day_list(request: AuthedHttpRequest, therapist_id: int, query: Query[DayListQuery]) -> list:
    therapist = _therapist(request, therapist_id)
    return day_selectors.day_list(therapist, query.date or _today(request))


@router.post(
    "/therapists/{therapist_id}/day-list/email",
    response={202: EmailQueuedOut, **error_responses(404, *BODY)},
    summary="Email a therapist their day list (through the job queue)",
)
def email_day_list(request: AuthedHttpRequest, therapist_id: int, payload: DayListEmailIn) -> Status:
    therapist = _therapist(request, therapist_id)
    sent_to = services.day_list_email(actor=request.user, therapist_id=therapist.id, day=payload.date)
    return Status(202, {"sent_to": sent_to})


def _entry(request: AuthedHttpRequest, entry_id: int) -> WaitlistEntry:
    require_scheduling(request.user)
    return get_object_or_404(
        WaitlistEntry.objects.select_related("client__clinic", "service", "therapist"),
        pk=entry_id,
        client__clinic_id=clinic_id_of(request.user),
    )


@router.get(
    "/waitlist/{entry_id}/matches",
    response={200: list[SlotOut], **error_responses(404)},
    summary="Free times that match a waitlist entry",
)
def waitlist_matches(request: AuthedHttpRequest, entry_id: int) -> list:
    entry = _entry(request, entry_id)
    services.check_may_book(request.user, entry.client)
    return [
        {k: m[k] for k in ("starts_at", "ends_at", "therapist_id", "therapist", "local_start")}
        for m in day_selectors.waitlist_matches(entry)
    ]


@router.post(
    "/waitlist/{entry_id}/offer",
    response={200: WaitlistEntryOut, **error_responses(404, *BODY)},
    summary="Offer a waitlist entry a time (book it with …/accept)",
)
def waitlist_offer(request: AuthedHttpRequest, entry_id: int, payload: OfferIn) -> dict:
    entry = services.waitlist_offer(
        actor=request.user,
        entry=_entry(request, entry_id),
        therapist_id=payload.therapist_id,
        starts_at=payload.starts_at,
    )
    return waitlist_entry_as_dict(entry)


@router.post(
    "/waitlist/{entry_id}/withdraw",
    response={200: WaitlistEntryOut, **error_responses(404)},
    summary="Take a client off the waitlist",
)
def waitlist_withdraw(request: AuthedHttpRequest, entry_id: int) -> dict:
    return waitlist_entry_as_dict(
        services.waitlist_withdraw(actor=request.user, entry=_entry(request, entry_id))
    )
