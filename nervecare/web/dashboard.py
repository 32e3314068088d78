"""Reads for the staff dashboard (selectors; they choose the joins)."""

import datetime
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from nervecare.clients.selectors import clients_visible_to
from nervecare.core import localtime
from nervecare.core.models import Clinic, User
from nervecare.core.permissions import require_clinical
from nervecare.scheduling.models import Appointment
from nervecare.screening.models import SafetyFlag
from nervecare.visits.selectors import clients_needing_review, notes_visible_to

LEVEL_ORDER = {"stop": 0, "clearance": 1, "modify": 2, "caution": 3}


# What the dashboard template shows of each row (the rest stays in the database).
SESSION_FIELDS = (
    "starts_at",
    "status",
    "client__first_name",
    "client__last_name",
    "therapist__display_name",
    "service__name",
    "room__name",
)
FLAG_FIELDS = ("client_id", "level", "title", "reason")


def dashboard(user: User) -> dict[str, Any]:
    """Today's sessions per therapist (with each client's open flags), re-evaluations due in the coming week,
    notes waiting for a signature and clients whose soreness or adverse events need review."""
    require_clinical(user)
    clinic = user.clinic
    tz = ZoneInfo(clinic.timezone)
    today = timezone.now().astimezone(tz).date()
    start = localtime.boundary_to_utc(today, datetime.time.min, tz)
    end = localtime.boundary_to_utc(today + datetime.timedelta(days=1), datetime.time.min, tz)
    # Only the clients whose record the user may see (an admin: the clinic; a therapist: their own).
    visible = clients_visible_to(user).values("pk")
    todays, by_therapist = _todays_sessions(clinic, visible, start, end)
    week_end = start + datetime.timedelta(days=8)
    reevaluations = (
        Appointment.objects.filter(
            clinic=clinic,
            client__in=visible,
            starts_at__gte=start,
            starts_at__lt=week_end,
            status=Appointment.Status.BOOKED,
            client__deleted_at__isnull=True,
        )
        .exclude(due_measures=[])
        .select_related("client")
        .only("starts_at", "due_measures", "client__first_name", "client__last_name")
        .order_by("starts_at")[:30]
    )
    # Notes through the notes route's own rule: a therapist's drafts, not a colleague's of a shared client.
    unsigned = (
        notes_visible_to(user)
        .filter(client__in=visible, client__deleted_at__isnull=True, signed_at__isnull=True)
        .select_related("appointment__therapist", "client")
        .only(
            "appointment__starts_at",
            "appointment__therapist__display_name",
            "client__first_name",
            "client__last_name",
        )
        .order_by("appointment__starts_at")[:30]
    )
    no_note = (
        Appointment.objects.filter(
            clinic=clinic,
            client__in=visible,
            status=Appointment.Status.COMPLETED,
            client__deleted_at__isnull=True,
            starts_at__gte=start - datetime.timedelta(days=14),
            note__isnull=True,
        )
        .select_related("client", "therapist")
        .only("starts_at", "client__first_name", "client__last_name", "therapist__display_name")
        .order_by("starts_at")[:30]
    )
    return {
        "today": today,
        "sessions": sorted(by_therapist.items(), key=lambda kv: kv[0].display_name),
        "session_count": len(todays),
        "reevaluations": reevaluations,
        "unsigned": unsigned,
        "no_note": no_note,
        "review": clients_needing_review(clinic.id, user=user),
    }


def dashboard_client_ids(context: dict[str, Any]) -> list[int]:
    """The clients the dashboard shows (for its read event), each once."""
    ids = [row["appointment"].client_id for _t, rows in context["sessions"] for row in rows]
    ids += [a.client_id for a in context["reevaluations"]]
    ids += [n.client_id for n in context["unsigned"]]
    ids += [a.client_id for a in context["no_note"]]
    ids += [item.client.id for item in context["review"]]
    return list(dict.fromkeys(ids))


def _todays_sessions(
    clinic: Clinic, visible: QuerySet, start: datetime.datetime, end: datetime.datetime
) -> tuple[list[Appointment], dict[Any, list[dict[str, Any]]]]:
    """Today's sessions, and per therapist each session with its client's open flags (most serious first)."""
    todays = list(
        Appointment.objects.filter(
            clinic=clinic,
            client__in=visible,
            starts_at__gte=start,
            starts_at__lt=end,
            client__deleted_at__isnull=True,
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("therapist", "client", "service", "room")
        .only(*SESSION_FIELDS)
        .order_by("therapist__display_name", "starts_at")
    )
    flags: dict[int, list[SafetyFlag]] = defaultdict(list)
    if todays:
        for flag in SafetyFlag.objects.filter(
            client_id__in={a.client_id for a in todays}, status=SafetyFlag.Status.OPEN
        ).only(*FLAG_FIELDS):
            flags[flag.client_id].append(flag)
    by_therapist: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for appointment in todays:
        client_flags = sorted(flags[appointment.client_id], key=lambda f: LEVEL_ORDER.get(f.level, 9))
        by_therapist[appointment.therapist].append({"appointment": appointment, "flags": client_flags})
    return todays, by_therapist
