"""DocumentReference: the client's progress report (a PDF produced on request)."""

from __future__ import annotations

from typing import Any

from nervecare.interop import codes
from nervecare.interop.mapping.common import Context, Resource, coding, concept, ref


def document_reference(client: Any, ctx: Context = Context()) -> Resource:  # noqa: B008
    """The client's progress report, a PDF NerveCare produces on request."""
    return {
        "resourceType": "DocumentReference",
        "id": f"report-{client.pk}",
        "status": "current",
        "type": concept(
            coding(codes.CS_DOCUMENT_TYPE, "progress-report", "Progress report"), text="Progress report"
        ),
        "subject": ref("Patient", client.pk),
        "description": "Progress report (PDF, produced when opened)",
        "custodian": ref("Organization", client.clinic_id),
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": f"{ctx.site_url}/api/v1/clients/{client.pk}/report.pdf",
                    "title": f"Progress report — {client.first_name} {client.last_name}",
                }
            }
        ],
    }
