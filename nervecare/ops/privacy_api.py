"""API routes for a client's record life cycle: delete (soft), restore, erase, and the right-of-access export."""

import json
from typing import Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from nervecare.core.models import User
from nervecare.core.pages import file_download, pdf_download
from nervecare.ops import export, privacy

router = Router(tags=["client privacy"])


class DeleteIn(Schema):
    reason: str


class ExportQuery(Schema):
    format: Literal["json", "pdf"] = "json"


def _state(client) -> dict:
    ends = privacy.retention_ends_on(client)
    return {
        "id": client.id,
        "deleted_at": client.deleted_at,
        "deletion_reason": client.deletion_reason,
        "erasable_from": ends,
    }


# Added to the clients router by nervecare/api.py: that router owns the /clients/{client_id} path.
def delete_client(request: HttpRequest, client_id: int, payload: DeleteIn) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    client = privacy.client_soft_delete(
        actor=request.user, client=client, reason=payload.reason, request=request
    )
    return _state(client)


@router.post("/clients/{client_id}/restore", response=dict, summary="Undo a client's deletion (admins only)")
def restore_client(request: HttpRequest, client_id: int) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    return _state(privacy.client_restore(actor=request.user, client=client, request=request))


@router.post(
    "/clients/{client_id}/erase",
    response=dict,
    summary="Erase a deleted client's record once the retention period has passed (admins only)",
)
def erase_client(request: HttpRequest, client_id: int) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    counts = privacy.client_erase(actor=request.user, client=client, request=request)
    return {"id": client_id, "erased": counts}


@router.get(
    "/clients/{client_id}/export",
    response=dict,
    summary="Everything held about a client (right of access), as JSON or PDF",
)
def export_client(request: HttpRequest, client_id: int, query: Query[ExportQuery]) -> HttpResponse:
    client = export.client_get_for_export(request.user, client_id)
    return export_response(request, client, query.format, staff=request.user)


def export_response(request: HttpRequest, client, fmt: str, *, staff: User | None) -> HttpResponse:
    """The export as a download (shared by the API, the staff pages and the portal); audited. `staff`: the
    staff member exporting (their part of the record), or None for the client's own export (all of it)."""
    document = export.client_export(client, staff=staff)
    export.client_export_audit(actor=request.user, client=client, fmt=fmt, request=request)
    stamp = document["generated_at"][:10]
    if fmt == "pdf":
        response = pdf_download(
            export.client_export_pdf(document), filename=f"nervecare-client-{client.id}-{stamp}.pdf"
        )
    else:
        body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = file_download(
            body, filename=f"nervecare-client-{client.id}-{stamp}.json", content_type="application/json"
        )
    response["Cache-Control"] = "no-store"
    return response
