"""A client at a glance for booking (issue 20): contact details, the usual therapist and the appointments, in one
read. What the front desk and a booking therapist see of a client, never clinical content.

Both statements are CompiledQuery (core/compiled.py): the querysets below (the client through clients_bookable_by,
the permission rule, and the appointments) are compiled once per process and role, then run with each request's
values: compiling them was most of the route's CPU."""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_bookable_by
from nervecare.core.audit import audit_view
from nervecare.core.compiled import CompiledQuery
from nervecare.core.models import User
from nervecare.core.permissions import require_scheduling
from nervecare.scheduling.models import BLOCKING_STATUSES, Appointment

# How far back the overview lists appointments (the calendar's longest range) and how many at most.
OVERVIEW_PAST = timedelta(days=93)
OVERVIEW_LIMIT = 200


def _client_query(role: str, user_id: int, clinic_id: int, client_id: int) -> QuerySet[Client]:
    # What clients_bookable_by reads of a member of staff (require_scheduling: signed in, with a clinic); its
    # branches depend on the role only.
    user = User(pk=user_id, role=role, clinic_id=clinic_id)
    return (
        clients_bookable_by(user)
        .filter(pk=client_id, deleted_at__isnull=True)
        .select_related("primary_therapist", "clinic")
        .order_by("pk")[:1]
    )


def _appointments_query(
    shape: None, client_id: int, clinic_id: int, since: datetime
) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            client_id=client_id, clinic_id=clinic_id, status__in=BLOCKING_STATUSES, starts_at__gte=since
        )
        .select_related("therapist", "service")
        .order_by("starts_at", "id")[:OVERVIEW_LIMIT]
    )


_CLIENT = CompiledQuery(_client_query, user_id=int, clinic_id=int, client_id=int)
_APPOINTMENTS = CompiledQuery(_appointments_query, client_id=int, clinic_id=int, since=datetime)


def client_overview(user: User, client_id: int) -> tuple[Client, list[Appointment]]:
    """The client (if the user may book them: clients_bookable_by; 404 otherwise, as for a record they cannot
    see) with their usual therapist, and their appointments that hold time (booked, checked in, done) from
    93 days ago on, oldest first, at most 200. The view is audited (one event per client per request)."""
    require_scheduling(user)
    assert user.clinic_id is not None  # require_scheduling
    client = _CLIENT.first(user.role, user_id=user.pk, clinic_id=user.clinic_id, client_id=client_id)
    if client is None:
        raise Http404("No such client.")
    appointments = _APPOINTMENTS.fetch(
        client_id=client.pk, clinic_id=client.clinic_id, since=timezone.now() - OVERVIEW_PAST
    )
    for appointment in appointments:  # one client, one clinic: no read per row
        appointment.client = client
        appointment.clinic = client.clinic
    audit_view(user, client, "Client overview viewed")
    return client, appointments
