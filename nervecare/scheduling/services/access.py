"""A booking grants the booked therapist access to the client's record; the last live appointment's end
revokes it (clients.services client_access_grant / client_access_revoke)."""

from __future__ import annotations

from nervecare.clients.models import Client, ClientAccessGrant
from nervecare.clients.selectors import user_sees_client
from nervecare.clients.services import client_access_grant, client_access_revoke
from nervecare.core.models import Therapist, User
from nervecare.scheduling.models import Appointment

LIVE_STATUSES = (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED)


def _booking_access_grant(*, actor: User, appointment: Appointment) -> None:
    """The front desk, an admin or the client booked a therapist who does not see the client's record yet: the
    booking grants it (audited, listed for the admins) while a live appointment of theirs with the client
    remains. A therapist's own bookings never grant (they book only therapists who see the client)."""
    if actor.role == User.Role.THERAPIST:
        return
    therapist_user = appointment.therapist.user
    if not user_sees_client(therapist_user, appointment.client_id):
        client_access_grant(
            actor=actor,
            client=appointment.client,
            user=therapist_user,
            reason=ClientAccessGrant.Reason.BOOKING,
            source_id=appointment.pk,
        )


def booking_access_release(*, actor: User, client: Client, therapist: Therapist) -> None:
    """After a cancellation, a no-show or a move to another therapist: once no live (booked, checked-in or
    completed) appointment of this therapist with this client remains, the access their bookings granted ends.
    A cancelled or never-attended appointment grants nothing."""
    if not Appointment.objects.filter(
        client_id=client.pk, therapist_id=therapist.pk, status__in=LIVE_STATUSES
    ).exists():
        client_access_revoke(
            actor=actor,
            client=client,
            user=therapist.user,
            reason=ClientAccessGrant.Reason.BOOKING,
        )
