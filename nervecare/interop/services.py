"""Writes of the interop app other than the referral import itself: contact-change proposals.

An import that finds an existing client's contact details different proposes the change
(`contact_change_propose`); someone who may see the client accepts or rejects it. Each is one transaction
with its audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.services import client_update
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.interop.models import ContactChangeProposal
from nervecare.interop.proposal_selectors import contact_proposal_get_for_user

# How a client is reached: never overwritten by an import, only proposed.
CONTACT_FIELDS = ("email", "phone", "address", "emergency_contact_name", "emergency_contact_phone")


@transaction.atomic
def contact_change_propose(
    *,
    actor: User,
    client: Client,
    proposed: dict[str, Any],
    source: str = "FHIR referral import",
) -> ContactChangeProposal | None:
    """Store the contact details in `proposed` that differ from the client's for review; None if none differ.
    The same pending proposal is not stored twice (a referral sent again)."""
    require_clinical(actor)
    changes = {
        k: {"current": getattr(client, k), "proposed": v}
        for k, v in proposed.items()
        if k in CONTACT_FIELDS and getattr(client, k) != v
    }
    if not changes:
        return None
    pending = ContactChangeProposal.objects.filter(client=client, status=ContactChangeProposal.Status.PENDING)
    for existing in pending:
        if existing.changes == changes:
            return existing
    proposal = ContactChangeProposal.objects.create(
        clinic_id=client.clinic_id, client=client, source=source[:100], changes=changes, proposed_by=actor
    )
    audit_record(
        actor=actor,
        action="create",
        obj=proposal,
        summary=f"Contact details proposed for review ({source})",
        changes={k: [v["current"], v["proposed"]] for k, v in changes.items()},
    )
    return proposal


def _pending(actor: User, proposal_id: int) -> ContactChangeProposal:
    proposal = contact_proposal_get_for_user(actor, proposal_id)
    proposal = ContactChangeProposal.objects.select_for_update().select_related("client").get(pk=proposal.pk)
    if proposal.status != ContactChangeProposal.Status.PENDING:
        raise FieldErrors({"status": f"this proposal was already {proposal.status}"})
    return proposal


@transaction.atomic
def contact_change_accept(*, actor: User, proposal_id: int) -> ContactChangeProposal:
    """Apply a pending proposal's contact details to its client (404 unless the actor may see the client)."""
    require_clinical(actor)
    proposal = _pending(actor, proposal_id)
    client_update(
        actor=actor,
        client=proposal.client,
        data={k: v["proposed"] for k, v in proposal.changes.items() if k in CONTACT_FIELDS},
    )
    return _decide(actor, proposal, ContactChangeProposal.Status.ACCEPTED)


@transaction.atomic
def contact_change_reject(*, actor: User, proposal_id: int) -> ContactChangeProposal:
    """Close a pending proposal without changing the client (404 unless the actor may see the client)."""
    require_clinical(actor)
    proposal = _pending(actor, proposal_id)
    return _decide(actor, proposal, ContactChangeProposal.Status.REJECTED)


def _decide(actor: User, proposal: ContactChangeProposal, status: str) -> ContactChangeProposal:
    proposal.status, proposal.decided_by, proposal.decided_at = status, actor, timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=proposal,
        summary=f"Contact change proposal {status}",
        changes={"status": [ContactChangeProposal.Status.PENDING, status]},
    )
    return proposal
