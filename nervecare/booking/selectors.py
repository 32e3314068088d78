"""Reads of the public booking page: the clinic (only when its online booking is on), the services bookable
online, the qualified therapists with their bios, and the free times within the clinic's booking rules
(minimum notice, how far ahead, closures). Nothing here names or counts any client."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from nervecare.booking.models import OnlineBooking
from nervecare.clients.models import Client, ConsentText
from nervecare.core.models import Clinic, Therapist, User
from nervecare.portal.models import ClientIntake
from nervecare.scheduling.models import Appointment, Service
from nervecare.scheduling.selectors import closed_days, free_slots, qualified_therapists

DAYS_SHOWN = 7
# Starts offered: on the hour and the half hour (fewer, easier choices; the grid itself is 15 minutes).
OFFERED_MINUTES = (0, 30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def clinic_for_online_booking(slug: str) -> Clinic:
    """The clinic whose public booking page this is; 404 if there is none or its online booking is off."""
    clinic = Clinic.objects.filter(slug=slug, online_booking_enabled=True).first()
    if clinic is None:
        raise Http404("No online booking here.")
    return clinic


def online_services(clinic: Clinic) -> QuerySet[Service]:
    return Service.objects.filter(clinic=clinic, active=True, bookable_online=True).order_by("name", "id")


def online_service(clinic: Clinic, service_id: Any) -> Service:
    """One service of the clinic bookable online; 404 otherwise (any id, however absurd)."""
    try:
        pk = int(service_id)
    except (TypeError, ValueError):
        raise Http404("No such service.") from None
    service = online_services(clinic).filter(pk=pk).first() if 0 < pk < 2**31 else None
    if service is None:
        raise Http404("No such service.")
    return service


def online_therapists(clinic: Clinic, service: Service) -> list[Therapist]:
    """The therapists who may give the service (scheduling's qualification rule) and can sign in."""
    return [t for t in qualified_therapists(clinic.pk, service) if t.user.is_active]


def booking_window(
    clinic: Clinic, now: datetime.datetime | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """[earliest, latest) start the clinic takes online: its minimum notice and how far ahead it books."""
    now = now or timezone.now()
    return (
        now + datetime.timedelta(hours=clinic.min_notice_hours),
        now + datetime.timedelta(days=clinic.booking_horizon_days),
    )


def first_day(clinic: Clinic, now: datetime.datetime | None = None) -> datetime.date:
    earliest, _latest = booking_window(clinic, now)
    return earliest.astimezone(ZoneInfo(clinic.timezone)).date()


def offered_times(
    *,
    clinic: Clinic,
    service: Service,
    therapists: list[Therapist],
    start: datetime.date,
    any_therapist: bool,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Free starts for DAYS_SHOWN days from `start` (clamped to the booking window), grouped by local day.

    With "any qualified therapist" each start is offered once, with the first therapist free then."""
    now = now or timezone.now()
    tz = ZoneInfo(clinic.timezone)
    earliest, latest = booking_window(clinic, now)
    first = earliest.astimezone(tz).date()
    last = (latest - datetime.timedelta(microseconds=1)).astimezone(tz).date()
    start = min(max(start, first), last)
    end = min(start + datetime.timedelta(days=DAYS_SHOWN - 1), last)
    closed = closed_days(clinic, start, end)
    slots = (
        free_slots(
            clinic=clinic, service=service, start=start, end=end, therapists=therapists, limit=5000, now=now
        )
        if therapists
        else []
    )
    by_day: dict[datetime.date, list[dict[str, Any]]] = {}
    seen: set[datetime.datetime] = set()
    for slot in slots:
        starts_at = slot["starts_at"]
        local = starts_at.astimezone(tz)
        if (
            not earliest <= starts_at < latest
            or local.date() in closed
            or local.minute not in OFFERED_MINUTES
        ):
            continue
        if any_therapist and starts_at in seen:
            continue
        seen.add(starts_at)
        by_day.setdefault(local.date(), []).append(
            {
                "starts_at": starts_at,
                "local": local,
                "therapist_id": slot["therapist_id"],
                "therapist": slot["therapist"],
                "value": slot_value(slot["therapist_id"], starts_at),
            }
        )
    days = []
    day = start
    while day <= end:
        days.append({"date": day, "closed": day in closed, "slots": by_day.get(day, [])})
        day += datetime.timedelta(days=1)
    return {
        "days": days,
        "start": start,
        "previous": start - datetime.timedelta(days=DAYS_SHOWN) if start > first else None,
        "next": end + datetime.timedelta(days=1) if end < last else None,
        "timezone": tz.key,
    }


def slot_value(therapist_id: int, starts_at: datetime.datetime) -> str:
    """A slot as one form value: "<therapist id>@<UTC start, ISO 8601>"."""
    return f"{therapist_id}@{starts_at.astimezone(datetime.UTC).isoformat()}"


def parse_slot(value: str) -> tuple[int, datetime.datetime] | None:
    """The therapist and start of a slot value; None for anything else (however absurd)."""
    therapist, _sep, when = (value or "").partition("@")
    if len(value or "") > 80 or not therapist.isdigit() or len(therapist) > 9:
        return None
    try:
        starts_at = datetime.datetime.fromisoformat(when)
    except ValueError:
        return None
    if timezone.is_naive(starts_at):
        return None
    return int(therapist), starts_at.astimezone(datetime.UTC)


def booking_by_token(token: str) -> OnlineBooking | None:
    """The request a confirmation link belongs to, or None (an unknown or malformed link)."""
    if not token or len(token) > 200:
        return None
    return (
        OnlineBooking.objects.select_related(
            "clinic", "client", "appointment__therapist", "appointment__service", "appointment__clinic"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )


def appointment_summary(appointment: Appointment) -> dict[str, Any]:
    """What the page and the e-mails say of a booking: when (local), with whom, what, where."""
    tz = ZoneInfo(appointment.clinic.timezone)
    return {
        "local": appointment.starts_at.astimezone(tz),
        "local_end": appointment.ends_at.astimezone(tz),
        "timezone": tz.key,
        "therapist": appointment.therapist.display_name,
        "service": appointment.service.name,
        "minutes": appointment.service.minutes,
        "clinic": appointment.clinic,
    }


# --- For the staff and the check-in -----------------------------------------------------------------------


def intake_check_in_block(appointment: Appointment) -> str | None:
    """A client who came without an intake (booked online, or registered by the desk with contact details
    only: `Client.provisional`) has their first session only once their intake is complete and reviewed (a
    check-in guard, scheduling/hooks.py). Plain words for the desk: no clinical detail. Reviewing the portal
    intake, or a therapist recording the medical facts in person, ends the provisional mark."""
    if not Client.all_objects.filter(pk=appointment.client_id, provisional=True).exists():
        return None
    if (
        Appointment.objects.filter(client_id=appointment.client_id, status=Appointment.Status.COMPLETED)
        .exclude(pk=appointment.pk)
        .exists()
    ):
        return None  # not the first session
    came = (
        "booked online"
        if OnlineBooking.objects.filter(client_id=appointment.client_id).exists()
        else "was registered with contact details only"
    )
    intakes = ClientIntake.objects.filter(client_id=appointment.client_id)
    if not intakes.exists():
        return (
            f"This client {came} and has not completed their intake yet: the first session cannot be "
            "checked in until the intake is complete and reviewed by a therapist (or a therapist records "
            "the medical facts with the client)."
        )
    if not intakes.filter(reviewed_at__isnull=False).exists():
        return (
            "This client's intake is waiting for a therapist's review: the first session cannot be checked in "
            "until it is reviewed."
        )
    return None


def record_card_online_booking(user: User, client: Client) -> dict[str, Any]:
    """The record page's note on a client who registered on the public booking page."""
    return {"online_booking": OnlineBooking.objects.filter(client=client).first()}


def current_consent_text(clinic: Clinic) -> ConsentText | None:
    """The consent to treatment a new client agrees to on the booking page (the clinic's current version)."""
    today = timezone.now().astimezone(ZoneInfo(clinic.timezone)).date()
    return clinic.consent_texts.filter(effective_from__lte=today).order_by("-effective_from").first()


def held_cancel_link(user: User, appointment: Appointment) -> tuple[str, str] | None:
    """The appointment page's way to cancel a request still only held (scheduling/hooks.py)."""
    if appointment.status != Appointment.Status.HELD:
        return None
    return (
        "Cancel this held online request",
        reverse("booking:held_cancel", kwargs={"appointment_id": appointment.pk}),
    )
