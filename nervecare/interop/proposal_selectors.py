"""Reads of contact-change proposals. Kept apart from selectors/ (the FHIR read rules): a proposal is seen
by exactly the people who may see its client (nervecare.clients.selectors.clients_visible_to)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import User
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.interop.models import ContactChangeProposal


def contact_proposals_for_user(user: User, *, status: str = "pending") -> QuerySet[ContactChangeProposal]:
    """The proposals (pending by default) for clients the user may see, oldest first."""
    require_clinical(user)
    return (
        ContactChangeProposal.objects.filter(
            clinic_id=clinic_id_of(user), status=status, client__in=clients_visible_to(user)
        )
        .select_related("client", "proposed_by")
        .order_by("created_at", "id")
    )


def contact_proposal_get_for_user(user: User, proposal_id: int) -> ContactChangeProposal:
    """One proposal of a client the user may see; 404 otherwise (whether it exists is not revealed)."""
    require_clinical(user)
    proposal = (
        ContactChangeProposal.objects.filter(
            pk=proposal_id, clinic_id=clinic_id_of(user), client__in=clients_visible_to(user)
        )
        .select_related("client", "proposed_by")
        .first()
    )
    if proposal is None:
        raise Http404("No such proposal.")
    return proposal
