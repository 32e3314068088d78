"""JSON API routes of the interop app (under /api/v1): reviewing the contact details a referral import
proposed. (The FHIR R4 REST API itself is mounted at /fhir/R4/, outside the JSON API: views.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router, Schema

from nervecare.core import audit
from nervecare.core.api_support import error_responses
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.interop import proposal_selectors, services
from nervecare.interop.models import ContactChangeProposal

router = Router(tags=["contact proposals"])


class ProposalOut(Schema):
    id: int
    client_id: int
    client_name: str
    source: str
    status: str
    changes: dict[str, dict[str, Any]]
    proposed_by: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


def _out(proposal: ContactChangeProposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "client_id": proposal.client_id,
        "client_name": str(proposal.client),
        "source": proposal.source,
        "status": proposal.status,
        "changes": proposal.changes,
        "proposed_by": proposal.proposed_by.get_username() if proposal.proposed_by else None,
        "created_at": proposal.created_at,
        "decided_at": proposal.decided_at,
    }


@router.get(
    "/contact-proposals",
    response={200: list[ProposalOut], **error_responses()},
    summary="Pending contact details proposed by referral imports, for clients you may see",
)
def list_contact_proposals(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    proposals = list(proposal_selectors.contact_proposals_for_user(request.user))
    audit.audit_list(
        request.user, ContactChangeProposal, [p.pk for p in proposals], "Contact proposals listed"
    )
    return [_out(p) for p in proposals]


@router.post(
    "/contact-proposals/{proposal_id}/accept",
    response={200: ProposalOut, **error_responses(404)},
    summary="Accept a proposal: the client's contact details become the proposed ones",
)
def accept_contact_proposal(request: AuthedHttpRequest, proposal_id: int) -> dict[str, Any]:
    return _out(services.contact_change_accept(actor=request.user, proposal_id=proposal_id))


@router.post(
    "/contact-proposals/{proposal_id}/reject",
    response={200: ProposalOut, **error_responses(404)},
    summary="Reject a proposal: the client's contact details stay as they are",
)
def reject_contact_proposal(request: AuthedHttpRequest, proposal_id: int) -> dict[str, Any]:
    return _out(services.contact_change_reject(actor=request.user, proposal_id=proposal_id))
