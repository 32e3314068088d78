"""API routes for switching in and out (imports, the clinic-wide export) and a client's documents. The same
services as the pages; the API takes JSON only, so files travel as text (CSV) or base64 (documents)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Any, Literal

from django.http import FileResponse, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from nervecare.core.api_support import BODY, download, error_responses
from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.ops import documents
from nervecare.ops.clinic_export_views import export_response
from nervecare.ops.documents_views import attachment
from nervecare.ops.importing import services as imports
from nervecare.ops.models import ImportRun

router = Router(tags=["switching in and out"])


class PresetOut(Schema):
    code: str
    label: str
    source: str = Field(description="Where the preset's column names are documented")
    verified: bool = Field(description="Whether that page spells the headers exactly as the file has them")
    note: str
    saved: bool


class KindQuery(Schema):
    kind: Literal["clients", "appointments"] = "clients"


class ImportIn(Schema):
    kind: Literal["clients", "appointments"]
    filename: str = Field("upload.csv", max_length=200)
    content: str = Field(description="The CSV file's text (UTF-8), header row first")
    preset: str = Field("generic", max_length=60)


class MappingIn(Schema):
    mapping: dict[str, str] = Field(description="NerveCare field -> the file's column")
    date_format: Literal["iso", "dmy", "mdy"] = "iso"
    save_as: str = Field("", max_length=100, description="Save the mapping as a preset of the clinic")


class ImportRunOut(Schema):
    id: uuid.UUID
    kind: str
    filename: str
    status: str
    headers: list[str]
    mapping: dict[str, str]
    date_format: str
    total_rows: int
    processed_rows: int
    report: dict[str, Any] = Field(
        description="The dry run's or the import's result: counts, errors [{row, column, field, message}], "
        "conflicts, created"
    )
    created_at: dt.datetime
    finished_at: dt.datetime | None


class DocumentIn(Schema):
    kind: Literal["letter", "clearance", "referral", "other"]
    title: str = Field(max_length=200)
    filename: str = Field("", max_length=200)
    content_base64: str = Field(description="The file (PDF, PNG, JPEG or WebP), base64-encoded")
    flag_id: int | None = None


class DocumentOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    flag_id: int | None
    uploaded_by: str | None
    uploaded_at: str


@router.get(
    "/imports/presets", response={200: list[PresetOut], **error_responses()}, summary="Import presets"
)
def import_presets(request: AuthedHttpRequest, query: Query[KindQuery]) -> list[dict[str, Any]]:
    return imports.presets_for(request.user, query.kind)


@router.get(
    "/imports", response={200: list[ImportRunOut], **error_responses()}, summary="The clinic's imports"
)
def import_list(request: AuthedHttpRequest) -> list[ImportRun]:
    return imports.import_runs_for_admin(request.user)


@router.post(
    "/imports",
    response={201: ImportRunOut, **error_responses(*BODY)},
    summary="Upload a CSV to import (admins): returns the suggested column mapping",
)
def import_create(request: AuthedHttpRequest, payload: ImportIn) -> Status:
    run = imports.import_upload(
        actor=request.user,
        kind=payload.kind,
        filename=payload.filename,
        data=payload.content.encode("utf-8"),
        preset=payload.preset,
    )
    return Status(201, run)


@router.get(
    "/imports/{run_id}",
    response={200: ImportRunOut, **error_responses(404)},
    summary="An import and its progress",
)
def import_get(request: AuthedHttpRequest, run_id: uuid.UUID) -> ImportRun:
    return imports.import_run_get_for_admin(request.user, run_id)


@router.put(
    "/imports/{run_id}/mapping",
    response={200: ImportRunOut, **error_responses(404, *BODY)},
    summary="Set which column holds which field",
)
def import_mapping(request: AuthedHttpRequest, run_id: uuid.UUID, payload: MappingIn) -> ImportRun:
    run = imports.import_run_get_for_admin(request.user, run_id)
    return imports.import_set_mapping(
        actor=request.user,
        run=run,
        mapping=payload.mapping,
        date_format=payload.date_format,
        save_as=payload.save_as,
    )


@router.post(
    "/imports/{run_id}/dry-run",
    response={200: ImportRunOut, **error_responses(404)},
    summary="Check every row (writes nothing); large files are checked by the job queue",
)
def import_dry_run(request: AuthedHttpRequest, run_id: uuid.UUID) -> ImportRun:
    run = imports.import_run_get_for_admin(request.user, run_id)
    return imports.import_dry_run(actor=request.user, run=run)


@router.post(
    "/imports/{run_id}/commit",
    response={200: ImportRunOut, **error_responses(404)},
    summary="Import whole or not at all (after a clean dry run); re-running adds nothing",
)
def import_commit(request: AuthedHttpRequest, run_id: uuid.UUID) -> ImportRun:
    run = imports.import_run_get_for_admin(request.user, run_id)
    return imports.import_commit(actor=request.user, run=run)


@router.get(
    "/clinic/export",
    response={200: None, **error_responses()},
    openapi_extra=download("application/zip"),
    summary="Everything the clinic holds, as CSV and JSON in a zip (admins; audited)",
)
def clinic_export(request: AuthedHttpRequest) -> FileResponse:
    return export_response(request.user)


@router.get(
    "/clients/{client_id}/documents",
    response={200: list[DocumentOut], **error_responses(404)},
    summary="A client's documents (letters, clearances, referrals)",
)
def document_list(request: AuthedHttpRequest, client_id: int) -> list[dict[str, Any]]:
    _client, docs = documents.documents_for_client(request.user, client_id)
    return [documents.document_row(d) for d in docs]


@router.post(
    "/clients/{client_id}/documents",
    response={201: DocumentOut, **error_responses(404, *BODY)},
    summary="Attach a document (PDF or image; its type is checked from its content)",
)
def document_create(request: AuthedHttpRequest, client_id: int, payload: DocumentIn) -> Status:
    try:
        data = base64.b64decode(payload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise FieldErrors({"content_base64": "is not valid base64"}) from None
    doc = documents.document_upload(
        actor=request.user,
        client_id=client_id,
        kind=payload.kind,
        title=payload.title,
        filename=payload.filename,
        data=data,
        flag_id=payload.flag_id,
    )
    return Status(201, documents.document_row(doc))


@router.get(
    "/clients/{client_id}/documents/{document_id}",
    response={200: None, **error_responses(404)},
    openapi_extra=download(*documents.ALLOWED_TYPES),
    summary="Download a document (audited)",
)
def document_get(request: AuthedHttpRequest, client_id: int, document_id: int) -> HttpResponse:
    return attachment(documents.document_get_for_user(request.user, client_id, document_id))
