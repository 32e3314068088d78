"""Who else sees a client's record: shares decided by the clinic, grants given by plans and bookings."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import (
    Client,
    ClientAccessGrant,
    ClientShare,
)
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import (
    require_clinical,
)
from nervecare.core.services import audit_record


def _require_may_share(actor: User, client: Client) -> None:
    """Admins of the client's clinic, or the client's primary therapist, decide who else sees the record."""
    require_clinical(actor)
    if actor.clinic_id != client.clinic_id:
        raise PermissionDenied("Only the clinic's admins or the primary therapist may share this client.")
    if actor.role == User.Role.ADMIN:
        return
    if client.primary_therapist is None or client.primary_therapist.user_id != actor.pk:
        raise PermissionDenied("Only the clinic's admins or the primary therapist may share this client.")


@transaction.atomic
def client_share(
    *,
    actor: User,
    client: Client,
    therapist_id: Any,
    reason: str = "",
) -> ClientShare:
    """Share the client's clinical record with another therapist of the clinic (audited)."""
    _require_may_share(actor, client)
    errors: dict[str, str] = {}
    wanted = str(therapist_id) if therapist_id is not None else ""
    therapist = (
        Therapist.objects.filter(pk=int(wanted), clinic_id=client.clinic_id, active=True).first()
        if wanted.isdigit()
        else None
    )
    if therapist is None:
        errors["therapist_id"] = "choose an active therapist of this clinic"
    elif therapist.pk == client.primary_therapist_id:
        errors["therapist_id"] = "this therapist is the client's primary therapist already"
    elif ClientShare.objects.filter(client=client, therapist=therapist).exists():
        errors["therapist_id"] = "the client is shared with this therapist already"
    reason = (reason or "").strip()
    if len(reason) > 300:
        errors["reason"] = "at most 300 characters"
    if errors or therapist is None:  # no therapist: errors says so
        raise FieldErrors(errors)
    share = ClientShare.objects.create(client=client, therapist=therapist, shared_by=actor, reason=reason)
    audit_record(
        actor=actor,
        action="create",
        obj=share,
        summary=f"Shared client {client.pk} with {therapist.display_name}",
        changes={"client_id": client.pk, "therapist_id": therapist.pk, "reason": reason},
    )
    return share


@transaction.atomic
def client_unshare(*, actor: User, client: Client, therapist_id: int) -> None:
    """Stop sharing the client's record with a therapist (audited). 404 if it was not shared with them."""
    _require_may_share(actor, client)
    share = ClientShare.objects.filter(client=client, therapist_id=therapist_id).first()
    if share is None:
        raise Http404("The client is not shared with this therapist.")
    audit_record(
        actor=actor,
        action="delete",
        obj=share,
        summary=f"Stopped sharing client {client.pk} with {share.therapist.display_name}",
        changes={"client_id": client.pk, "therapist_id": share.therapist_id},
    )
    share.delete()


@transaction.atomic
def client_access_grant(
    *,
    actor: User | None,
    client: Client,
    user: User,
    reason: str,
    source_id: int,
) -> ClientAccessGrant:
    """Give a member of staff access to the client's clinical record because of a plan or a booking (audited).

    Called by the services that decide it (plans, scheduling), never by a view. Granting again for the same
    source returns the live grant unchanged."""
    live = ClientAccessGrant.objects.filter(
        client=client, user=user, reason=reason, source_id=source_id, revoked_at__isnull=True
    ).first()
    if live is not None:
        return live
    grant = ClientAccessGrant.objects.create(
        client=client,
        user=user,
        reason=reason,
        source_id=source_id,
        granted_by=actor if actor is not None and actor.is_authenticated else None,
        granted_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="create",
        obj=grant,
        summary=f"Access to client {client.pk} granted to {user.username} ({reason} {source_id})",
        changes={"client_id": client.pk, "user_id": user.pk, "reason": reason, "source_id": source_id},
    )
    return grant


@transaction.atomic
def client_access_revoke(
    *,
    actor: User | None,
    client: Client,
    user: User,
    reason: str,
    source_id: int | None = None,
) -> int:
    """End the user's live grants to the client for this reason (and source, if given), audited one by one.
    Returns how many ended; none live is not an error."""
    grants = list(
        ClientAccessGrant.objects.select_for_update().filter(
            client=client,
            user=user,
            reason=reason,
            revoked_at__isnull=True,
            **({"source_id": source_id} if source_id is not None else {}),
        )
    )
    now = timezone.now()
    by = actor if actor is not None and actor.is_authenticated else None
    for grant in grants:
        grant.revoked_at, grant.revoked_by = now, by
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="update",
            obj=grant,
            summary=f"Access to client {client.pk} revoked for {user.username} ({reason} {grant.source_id})",
            changes={"revoked_at": [None, now.isoformat()]},
        )
    return len(grants)
