"""API routes for a client's record life cycle: delete (soft), restore, erase, and the right-of-access export."""

import datetime as dt
import json
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from nervecare.core.api_support import download, error_responses
from nervecare.core.models import User
from nervecare.core.pages import file_download, pdf_download
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.scopes import check_token_scope
from nervecare.ops import export, privacy

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
    complete: bool = Field(
        description="False in a staff member's export: it holds only what they may read on its own routes"
    )
    omitted: dict[str, str] = Field(
        description="What a staff export leaves out, and why (empty when complete)"
    )
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
    past_visits: list[dict[str, Any]] = Field(description="Visits imported from the clinic's previous system")
    documents: list[dict[str, Any]] = Field(
        description="Letters, clearances and referrals, each with its file as content_base64"
    )
    session_notes: list[dict[str, Any]]
    diary_entries: list[dict[str, Any]] | None = Field(None, description="Absent from a staff export")
    outcome_summary: dict[str, Any]
    change_history: list[dict[str, Any]]
    access_log: list[dict[str, Any]] | None = Field(None, description="Absent from a staff export")


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


# Added to the clients router by nervecare/api.py: that router owns the /clients/{client_id} path.
def delete_client(request: AuthedHttpRequest, client_id: int, payload: DeleteIn) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    client = privacy.client_soft_delete(actor=request.user, client=client, reason=payload.reason)
    return _state(client)


@router.post(
    "/clients/{client_id}/restore",
    response={200: ClientStateOut, **error_responses(404)},
    summary="Undo a client's deletion (admins only)",
)
def restore_client(request: AuthedHttpRequest, client_id: int) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    return _state(privacy.client_restore(actor=request.user, client=client))


@router.post(
    "/clients/{client_id}/erase",
    response={200: ErasedOut, **error_responses(404)},
    summary="Erase a deleted client's record once the retention period has passed (admins only)",
)
def erase_client(request: AuthedHttpRequest, client_id: int) -> dict:
    client = privacy.deleted_client_get_for_admin(request.user, client_id)
    counts = privacy.client_erase(actor=request.user, client=client)
    return {"id": client_id, "erased": counts}


@router.get(
    "/clients/{client_id}/export",
    response={200: ClientExportOut, **error_responses(404)},
    openapi_extra=download("application/pdf"),  # format=pdf; the JSON one is ClientExportOut
    by_alias=True,  # the document's key is "schema" (a name pydantic keeps for itself)
    summary="Everything held about a client (right of access), as JSON or PDF",
)
def export_client(request: AuthedHttpRequest, client_id: int, query: Query[ExportQuery]) -> HttpResponse:
    client = export.client_get_for_export(request.user, client_id)
    token = getattr(request.user, "api_token", None)
    if token is not None and export.export_is_complete(request.user):
        # An admin's export is complete: it holds the money records and the access log as well.
        check_token_scope(token, "billing:read audit:read")
    return export_response(request, client, query.format, staff=request.user)


def export_response(request: AuthedHttpRequest, client, fmt: str, *, staff: User | None) -> HttpResponse:
    """The export as a download (shared by the API, the staff pages and the portal); audited. `staff`: the
    staff member exporting (their part of the record), or None for the client's own export (all of it)."""
    document = export.client_export(client, staff=staff)
    export.client_export_audit(actor=request.user, client=client, fmt=fmt)
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
