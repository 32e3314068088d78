"""API routes for a client's record life cycle: delete (soft), restore, erase, and the right-of-access export."""

import datetime as dt
import json
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from nervecare.clients import privacy
from nervecare.core.api_support import download, error_responses

router = Router(tags=["client privacy"])


class DeleteIn(Schema):
    reason: str


class ExportQuery(Schema):
    format: Literal["json", "pdf"] = "json"


class ClientStateOut(Schema):
    id: int
    deleted_at: dt.datetime | None
    deletion_reason: str
    erasable_from: dt.date | None = Field(description="The first day the record may be erased.")


class ErasedOut(Schema):
    id: int
    erased: dict[str, int] = Field(description="Rows erased, by kind.")


class ClientExportOut(Schema):
    """The right-of-access document (format=json; format=pdf gives the same as a PDF)."""

    schema_: str = Field(alias="schema", description="nervecare-client-export")
    schema_version: str
    generated_at: str
    clinic: dict[str, Any]
    client: dict[str, Any]
    portal_account: dict[str, Any] | None
    identifiers: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    medical_context: dict[str, Any] | None
    body_maps: list[dict[str, Any]]
    screenings: list[dict[str, Any]]
    safety_flags: list[dict[str, Any]]
    care_plans: list[dict[str, Any]]
    reevaluation_decisions: list[dict[str, Any]]
    series: list[dict[str, Any]]
    appointments: list[dict[str, Any]]
    waitlist: list[dict[str, Any]]
    session_notes: list[dict[str, Any]]
    diary_entries: list[dict[str, Any]]
    outcome_summary: dict[str, Any]
    change_history: list[dict[str, Any]]
    access_log: list[dict[str, Any]]


_PDF_TOO = {
    "responses": {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
}


def _state(client) -> dict:
    ends = privacy.retention_ends_on(client)
    return {
        "id": client.id,
        "deleted_at": client.deleted_at,
        "deletion_reason": client.deletion_reason,
        "erasable_from": ends,
    }


# Registered on the clients router (nervecare/clients/api.py), which owns the /clients/{client_id} path.
def delete_client(request: HttpRequest, client_id: int, payload: DeleteIn) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    client = privacy.client_soft_delete(
        actor=request.user, client=client, reason=payload.reason, request=request
    )
    return _state(client)


@router.post(
    "/clients/{client_id}/restore",
    response={200: ClientStateOut, **error_responses(404)},
    summary="Undo a client's deletion (admins only)",
)
def restore_client(request: HttpRequest, client_id: int) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    return _state(privacy.client_restore(actor=request.user, client=client, request=request))


@router.post(
    "/clients/{client_id}/erase",
    response={200: ErasedOut, **error_responses(404)},
    summary="Erase a deleted client's record once the retention period has passed (admins only)",
)
def erase_client(request: HttpRequest, client_id: int) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    counts = privacy.client_erase(actor=request.user, client=client, request=request)
    return {"id": client_id, "erased": counts}


@router.get(
    "/clients/{client_id}/export",
    response={200: ClientExportOut, **error_responses(404)},
    openapi_extra=download("application/pdf"),  # format=pdf; the JSON one is ClientExportOut
    by_alias=True,  # the document's key is "schema" (a name pydantic keeps for itself)
    summary="Everything held about a client (right of access), as JSON or PDF",
)
def export_client(request: HttpRequest, client_id: int, query: Query[ExportQuery]) -> HttpResponse:
    client = privacy.client_get_for_export(request.user, client_id)
    return export_response(request, client, query.format)


def export_response(request: HttpRequest, client, fmt: str) -> HttpResponse:
    """The export as a download (shared by the API, the staff pages and the portal); audited."""
    document = privacy.client_export(client)
    privacy.client_export_audit(actor=request.user, client=client, fmt=fmt, request=request)
    stamp = document["generated_at"][:10]
    if fmt == "pdf":
        response = HttpResponse(privacy.client_export_pdf(document), content_type="application/pdf")
        name = f"nervecare-client-{client.id}-{stamp}.pdf"
    else:
        body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json")
        name = f"nervecare-client-{client.id}-{stamp}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
