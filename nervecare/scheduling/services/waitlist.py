"""The waitlist: add a client, offer a freed time to the first who fits, book the offer."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core import localtime
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.core.services import audit_record
from nervecare.scheduling import hooks
from nervecare.scheduling.models import Appointment, Service, WaitlistEntry
from nervecare.scheduling.selectors import clinic_tz, closed_days
from nervecare.scheduling.services.booking import appointment_book
from nervecare.scheduling.services.checks import Booking, check_may_book


@transaction.atomic
def waitlist_add(
    *,
    actor: User,
    client: Client,
    service_id: int,
    earliest: datetime,
    latest: datetime,
    therapist_id: int | None = None,
    note: str = "",
) -> WaitlistEntry:
    require_scheduling(actor)
    check_may_book(actor, client)
    errors: dict[str, str] = {}
    service = Service.objects.filter(pk=service_id, clinic_id=clinic_id_of(actor)).first()
    if service is None:
        errors["service_id"] = "unknown service"
    if client.clinic_id != actor.clinic_id:
        errors["client_id"] = "no such client in this clinic"
    if (
        therapist_id is not None
        and not Therapist.objects.filter(pk=therapist_id, clinic_id=clinic_id_of(actor)).exists()
    ):
        errors["therapist_id"] = "unknown therapist"
    tz = clinic_tz(client.clinic)
    # No offset: the clinic's local time.
    earliest = localtime.to_utc(earliest, tz, field="earliest")
    latest = localtime.to_utc(latest, tz, field="latest")
    if earliest >= latest:
        errors["latest"] = "must be after earliest"
    elif latest <= timezone.now():
        errors["latest"] = "the window has already passed"
    if errors or service is None:  # no service: errors says so
        raise FieldErrors(errors)
    entry = WaitlistEntry.objects.create(
        client=client,
        service=service,
        therapist_id=therapist_id,
        earliest=earliest,
        latest=latest,
        note=note[:300],
    )
    audit_record(actor=actor, action="create", obj=entry, summary="Added to the waitlist")
    return entry


def waitlist_offer_freed(appointment: Appointment) -> WaitlistEntry | None:
    """Offer a freed time to the first waiting client whose window, service and therapist fit; never a time on
    a day the clinic has closed since it was booked (closures are never offered)."""
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(
            status=WaitlistEntry.Status.WAITING,
            service=appointment.service,
            earliest__lte=appointment.starts_at,
            latest__gte=appointment.ends_at,
            client__clinic_id=appointment.clinic_id,
        )
        .exclude(client=appointment.client)
        .filter(Q(therapist__isnull=True) | Q(therapist_id=appointment.therapist_id))
        .order_by("created_at", "id")
        .first()
    )
    if entry is None:
        return None
    day = appointment.starts_at.astimezone(clinic_tz(appointment.clinic)).date()
    if closed_days(appointment.clinic_id, day, day):
        return None
    entry.status = WaitlistEntry.Status.OFFERED
    entry.offered_appointment_start = appointment.starts_at
    entry.offered_therapist_id = appointment.therapist_id
    entry.offered_at = timezone.now()
    entry.save()
    hooks.waitlist_offered(entry)  # the client is e-mailed the offer (the portal, after commit)
    return entry


def _entry_for(actor: User, entry: WaitlistEntry) -> WaitlistEntry:
    """The entry, locked, once the actor may book its client (the same 404 as for a record they cannot see)."""
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("client__clinic", "service")
        .get(pk=entry.pk)
    )
    check_may_book(actor, entry.client)
    return entry


@transaction.atomic
def waitlist_offer(
    *, actor: User, entry: WaitlistEntry, therapist_id: int, starts_at: datetime
) -> WaitlistEntry:
    """Offer a waiting (or already offered) client a free time: the client is e-mailed it (with a link to
    accept it in the portal) and the desk may call them; it is booked with waitlist_accept. The time must lie in the entry's window; whether it is still free is checked on booking."""
    require_scheduling(actor)
    entry = _entry_for(actor, entry)
    if entry.status not in (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED):
        raise FieldErrors({"status": f"this waitlist entry is {entry.status}: nothing to offer"})
    starts_at = localtime.to_utc(starts_at, clinic_tz(entry.client.clinic), field="starts_at")
    if not Therapist.objects.filter(pk=therapist_id, clinic_id=entry.client.clinic_id, active=True).exists():
        raise FieldErrors({"therapist_id": "unknown therapist"})
    if entry.therapist_id is not None and therapist_id != entry.therapist_id:
        raise FieldErrors({"therapist_id": "the client waits for another therapist"})
    if starts_at < entry.earliest or starts_at > entry.latest:
        raise FieldErrors({"starts_at": "outside the time the client is waiting for"})
    if starts_at < timezone.now():
        raise FieldErrors({"starts_at": "cannot be in the past"})
    entry.status = WaitlistEntry.Status.OFFERED
    entry.offered_appointment_start = starts_at
    entry.offered_therapist_id = therapist_id
    entry.offered_at = timezone.now()
    entry.save()
    audit_record(
        actor=actor, action="update", obj=entry, summary=f"Waitlist offer: {starts_at:%Y-%m-%d %H:%M} UTC"
    )
    hooks.waitlist_offered(entry)  # the client is e-mailed the offer (the portal, after commit)
    return entry


@transaction.atomic
def waitlist_withdraw(*, actor: User, entry: WaitlistEntry) -> WaitlistEntry:
    """Take a client off the waitlist (they found another time, or no longer wait)."""
    require_scheduling(actor)
    entry = _entry_for(actor, entry)
    if entry.status not in (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED):
        raise FieldErrors({"status": f"this waitlist entry is already {entry.status}"})
    entry.status = WaitlistEntry.Status.WITHDRAWN
    entry.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="update", obj=entry, summary="Taken off the waitlist")
    return entry


@transaction.atomic
def waitlist_accept(*, actor: User, entry: WaitlistEntry) -> Booking:
    """Book the time a waitlist entry was offered."""
    entry = WaitlistEntry.objects.select_for_update(of=("self",)).select_related("client").get(pk=entry.pk)
    check_may_book(actor, entry.client)  # before anything about the entry is told
    if entry.status != WaitlistEntry.Status.OFFERED or entry.offered_appointment_start is None:
        raise FieldErrors({"status": "this waitlist entry has no open offer"})
    booking = appointment_book(
        actor=actor,
        client=entry.client,
        therapist_id=entry.offered_therapist_id,
        service_id=entry.service_id,
        starts_at=entry.offered_appointment_start,
    )
    entry.status = WaitlistEntry.Status.BOOKED
    entry.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="update", obj=entry, summary="Waitlist offer booked")
    return booking
