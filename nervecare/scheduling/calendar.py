"""iCalendar (RFC 5545) for appointments: a therapist's private feed and a client's .ics file.

A therapist subscribes to a private URL holding a random token (revocable; only its SHA-256 is stored, as for
API tokens). Events carry the time, the service, the room and the client's first name and last initial:
nothing clinical, since calendars get synced to phones and shared.

Times are written in UTC (no VTIMEZONE needed); X-WR-TIMEZONE tells calendar apps the clinic's zone for
display. Cancelled appointments stay in the feed as STATUS:CANCELLED for 30 days so subscribed calendars
remove them rather than keep a stale copy.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.models import Therapist, User
from nervecare.core.services import audit_record
from nervecare.scheduling.models import Appointment, CalendarToken

PRODID = "-//NerveCare//Scheduling//EN"
CANCELLED_KEPT = datetime.timedelta(days=30)
REFRESH = datetime.timedelta(minutes=15)
SEQUENCE_MAX = 2**31 - 1  # RFC 5545 INTEGER
TOKEN_PREFIX = "ncf_"  # noqa: S105 - a marker that says what a leaked token opens, not a secret
FEED_URL_NAME = "api:calendar_therapist_feed"

if TYPE_CHECKING:  # icalendar is imported where a feed is built (a worker that never serves one skips it)
    from icalendar import Calendar, Event


def _uid_domain() -> str:
    return getattr(settings, "NERVECARE_CALENDAR_UID_DOMAIN", "nervecare")


def appointment_uid(appointment: Appointment) -> str:
    """Stable for the appointment's life, so a moved or cancelled appointment updates the same event."""
    return f"appointment-{appointment.pk}@{_uid_domain()}"


def appointment_sequence(appointment: Appointment) -> int:
    """Seconds between creation and the last change: grows with every change (a move, a cancellation), so
    calendar apps take the newer copy. Assumes the services save() the appointment, which bumps updated_at."""
    seconds = int((appointment.updated_at - appointment.created_at).total_seconds())
    return min(max(seconds, 0), SEQUENCE_MAX)


def client_short_name(client: Client) -> str:
    """'Jane D.': enough for the therapist to recognise, little to anyone else who sees the calendar."""
    initial = client.last_name.strip()[:1].upper()
    return f"{client.first_name} {initial}." if initial else client.first_name


def _new_calendar(name: str, tz_name: str) -> Calendar:
    from icalendar import Calendar, vDuration

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tz_name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property has no declared type, so icalendar would write str(timedelta) ("0:15:00"), which calendar
    # apps reject: write it as an RFC 5545 DURATION (PT15M) ourselves.
    cal.add("x-published-ttl", vDuration(REFRESH))
    return cal


def _event(appointment: Appointment, summary: str) -> Event:
    from icalendar import Event

    cancelled = appointment.status == Appointment.Status.CANCELLED
    event = Event()
    event.add("uid", appointment_uid(appointment))
    # Without a METHOD, DTSTAMP is when the event was last revised (RFC 5545 3.8.7.2).
    event.add("dtstamp", appointment.updated_at)
    event.add("created", appointment.created_at)
    event.add("last-modified", appointment.updated_at)
    event.add("sequence", appointment_sequence(appointment))
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", summary)
    location = ", ".join(
        part for part in (appointment.room.name if appointment.room else "", appointment.clinic.name) if part
    )
    event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("class", "PRIVATE")
    return event


# --- Selectors -------------------------------------------------------------------------------------------


def therapist_feed_appointments(therapist: Therapist, *, now: datetime.datetime) -> QuerySet[Appointment]:
    """What the feed shows: every appointment not cancelled within the past window (NERVECARE_CALENDAR_PAST_DAYS,
    default 365) and the future, plus those cancelled in the last 30 days."""
    past_days = int(getattr(settings, "NERVECARE_CALENDAR_PAST_DAYS", 365))
    cancelled = Appointment.Status.CANCELLED
    recent = now - CANCELLED_KEPT
    return (
        Appointment.objects.filter(therapist=therapist)
        .filter(
            (~Q(status=cancelled) & Q(starts_at__gte=now - datetime.timedelta(days=past_days)))
            | Q(status=cancelled, cancelled_at__gte=recent)
            | Q(status=cancelled, cancelled_at__isnull=True, updated_at__gte=recent)
        )
        # A deleted client's visits leave the feed; their cancellations stay long enough to reach the phone.
        .exclude(Q(client__deleted_at__isnull=False) & ~Q(status=cancelled))
        .select_related("client", "service", "room", "clinic")
        .order_by("starts_at", "id")
    )


def client_upcoming_appointments(client: Client, *, now: datetime.datetime) -> QuerySet[Appointment]:
    """The client's appointments not yet over and not cancelled."""
    return (
        Appointment.objects.filter(client=client, ends_at__gt=now)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("service", "room", "clinic", "therapist")
        .order_by("starts_at", "id")
    )


# --- Rendering -------------------------------------------------------------------------------------------


def therapist_feed(therapist: Therapist, *, now: datetime.datetime | None = None) -> bytes:
    """The therapist's subscribable calendar (text/calendar bytes)."""
    now = now or timezone.now()
    clinic = therapist.clinic
    cal = _new_calendar(f"NerveCare: {therapist.display_name} ({clinic.name})", clinic.timezone)
    for appointment in therapist_feed_appointments(therapist, now=now):
        summary = f"{appointment.service.name} – {client_short_name(appointment.client)}"
        cal.add_component(_event(appointment, summary))
    return cal.to_ical()


def client_ics(client: Client, *, now: datetime.datetime | None = None) -> bytes:
    """The client's upcoming appointments as an .ics file to import or send them."""
    now = now or timezone.now()
    clinic = client.clinic
    cal = _new_calendar(f"Appointments at {clinic.name}", clinic.timezone)
    for appointment in client_upcoming_appointments(client, now=now):
        summary = f"{appointment.service.name} with {appointment.therapist.display_name}"
        cal.add_component(_event(appointment, summary))
    return cal.to_ical()


# --- Feed tokens -----------------------------------------------------------------------------------------


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def therapist_for_feed_token(plain: str) -> Therapist | None:
    """The therapist whose live feed this token opens; None if unknown, revoked or the therapist left."""
    token = (
        CalendarToken.objects.select_related("therapist__clinic", "therapist__user")
        .filter(token=_digest(plain), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.therapist.active or not token.therapist.user.is_active:
        return None
    return token.therapist


@transaction.atomic
def calendar_token_create(*, therapist: Therapist, actor: User | None) -> tuple[CalendarToken, str]:
    """A new private feed URL token for the therapist; earlier ones are revoked (one live URL each). The
    plain token is returned once and never stored."""
    calendar_token_revoke(therapist=therapist, actor=actor)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = CalendarToken.objects.create(therapist=therapist, token=_digest(plain))
    audit_record(actor=actor, action="create", obj=token, summary=f"Calendar feed URL for {therapist}")
    return token, plain


@transaction.atomic
def calendar_token_revoke(*, therapist: Therapist, actor: User | None) -> int:
    """Revoke the therapist's feed URLs; returns how many were live."""
    live = list(
        CalendarToken.objects.select_for_update().filter(therapist=therapist, revoked_at__isnull=True)
    )
    now = timezone.now()
    for token in live:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="update", obj=token, summary=f"Calendar feed URL revoked for {therapist}"
        )
    return len(live)


def feed_url(plain: str, request: HttpRequest | None = None) -> str:
    """The absolute feed URL: NERVECARE_PUBLIC_URL if set, else the request's host, else localhost."""
    path = reverse(FEED_URL_NAME, kwargs={"token": plain})
    base = getattr(settings, "NERVECARE_PUBLIC_URL", "").rstrip("/")
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return "http://127.0.0.1:8000" + path


def webcal_url(url: str) -> str:
    """The same URL with the webcal scheme, which calendar apps open as a subscription."""
    return "webcal://" + url.split("://", 1)[1]
