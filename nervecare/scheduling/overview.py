"""A client at a glance for booking (issue 20): contact details, the usual therapist and the appointments, in one
read. What the front desk and a booking therapist see of a client, never clinical content."""

from datetime import timedelta

from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_bookable_by
from nervecare.core.audit import audit_view
from nervecare.core.models import User
from nervecare.core.permissions import require_scheduling
from nervecare.scheduling.models import BLOCKING_STATUSES, Appointment

# How far back the overview lists appointments (the calendar's longest range) and how many at most.
OVERVIEW_PAST = timedelta(days=93)
OVERVIEW_LIMIT = 200


def client_overview(user: User, client_id: int) -> tuple[Client, list[Appointment]]:
    """The client (if the user may book them: clients_bookable_by; 404 otherwise, as for a record they cannot
    see) with their usual therapist, and their appointments that hold time (booked, checked in, done) from
    93 days ago on, oldest first, at most 200. The view is audited (one event per client per request)."""
    require_scheduling(user)
    client = (
        clients_bookable_by(user)
        .filter(pk=client_id, deleted_at__isnull=True)
        .select_related("primary_therapist", "clinic")
        .first()
    )
    if client is None:
        raise Http404("No such client.")
    appointments = list(
        Appointment.objects.filter(
            client_id=client.pk,
            clinic_id=client.clinic_id,
            status__in=BLOCKING_STATUSES,
            starts_at__gte=timezone.now() - OVERVIEW_PAST,
        )
        .select_related("therapist", "service")
        .order_by("starts_at", "id")[:OVERVIEW_LIMIT]
    )
    for appointment in appointments:  # one client, one clinic: no read per row
        appointment.client = client
        appointment.clinic = client.clinic
    audit_view(user, client, "Client overview viewed")
    return client, appointments
