"""The Bulk Data export: kick-off, status (and cancel), and the files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import http_date

from nervecare.core.bounds import SEARCH
from nervecare.core.filestore import export_storage
from nervecare.core.models import User
from nervecare.core.services import audit_record
from nervecare.interop import bulk, selectors
from nervecare.interop.models import ExportJob
from nervecare.interop.views.common import (
    NDJSON,
    OUTPUT_FORMATS,
    FhirError,
    fhir_view,
    outcome,
    site_url,
)

logger = logging.getLogger(__name__)

# --- Bulk Data export ----------------------------------------------------------------------------------------


def _status_url(request: HttpRequest, job: ExportJob) -> str:
    return site_url(request) + reverse("interop:export-status", args=[job.pk])


def _instant(value: str, name: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise FhirError(
            400,
            "invalid",
            f"{name}: {value!r} is not a FHIR instant (e.g. 2024-05-17T10:00:00Z).",
            expression=name,
        )
    if not SEARCH.contains(parsed):  # year 1 at +14:00 has no UTC equivalent; the job would fail forever
        raise FhirError(400, "invalid", f"{name}: {value!r}: the date {SEARCH.message()}.", expression=name)
    return parsed


@fhir_view(("GET",))
def export_kickoff(request: HttpRequest, user: User, level: str) -> HttpResponse:
    """$export kick-off: 202 with the status URL in Content-Location (Prefer: respond-async)."""
    selectors.scope_for(user)
    if "respond-async" not in request.META.get("HTTP_PREFER", ""):
        raise FhirError(400, "invalid", "A bulk export runs in the background: send Prefer: respond-async.")
    lenient = "handling=lenient" in request.META.get("HTTP_PREFER", "").replace(" ", "")
    allowed = bulk.allowed_types(level)
    types, since = None, None
    for name, values in request.GET.lists():
        value = ",".join(values)
        if name == "_outputFormat":
            if value not in OUTPUT_FORMATS:
                raise FhirError(
                    400,
                    "not-supported",
                    f"_outputFormat {value!r}: only application/fhir+ndjson.",
                    expression=name,
                )
        elif name == "_type":
            types = [t for t in (v.strip() for v in value.split(",")) if t]
            unknown = [t for t in types if t not in allowed]
            if unknown and not lenient:
                raise FhirError(
                    400,
                    "not-supported",
                    f"_type: cannot export {', '.join(unknown)} here; one of {', '.join(allowed)}.",
                    expression=name,
                )
            types = [t for t in types if t in allowed]
            if not types:
                raise FhirError(
                    400, "not-supported", "_type names no resource type this export offers.", expression=name
                )
        elif name == "_since":
            since = _instant(value, name)
        elif not lenient:
            raise FhirError(
                400, "not-supported", f"{name} is not supported by this server's export.", expression=name
            )
    try:
        job = bulk.export_kickoff(
            user=user,
            level=level,
            types=types,
            since=since,
            request_url=request.build_absolute_uri(),
            site_url=site_url(request),
        )
    except bulk.ExportBusyError as exc:
        headers = {"Retry-After": "60"}
        if exc.job is not None and exc.job.requested_by_id == user.pk:
            headers["Content-Location"] = _status_url(request, exc.job)
        raise FhirError(429, "throttled", str(exc), headers) from None
    message = "Export accepted: poll the Content-Location URL for its status."
    return outcome(202, "informational", message, {"Content-Location": _status_url(request, job)})


@fhir_view(("GET", "DELETE"))
def export_status(request: HttpRequest, user: User, job_id: uuid.UUID) -> HttpResponse:
    """Poll: 202 with X-Progress while running, 429 if polled too fast, 200 with the manifest when done.
    DELETE cancels the export (or removes a finished one's files): 202."""
    if request.method == "DELETE":
        bulk.export_cancel(user=user, job_id=job_id)
        return outcome(202, "informational", "Export cancelled; its files are deleted.")
    try:
        job = bulk.export_poll(user=user, job_id=job_id)
    except bulk.PolledTooSoonError as exc:
        raise FhirError(429, "throttled", str(exc), {"Retry-After": str(exc.retry_after)}) from None
    interval = str(bulk.poll_interval())
    if job.status in (ExportJob.Status.ACCEPTED, ExportJob.Status.IN_PROGRESS):
        return outcome(
            202,
            "informational",
            "Export in progress.",
            {"X-Progress": bulk.progress_text(job), "Retry-After": interval},
        )
    if job.status == ExportJob.Status.FAILED:
        return outcome(500, "exception", job.error_message or "The export failed.")

    def file_url(type_name: str) -> str:
        return site_url(request) + reverse("interop:export-file", args=[job.pk, f"{type_name}.ndjson"])

    response = HttpResponse(
        json.dumps(bulk.manifest(job, file_url), separators=(",", ":")), content_type="application/json"
    )
    response["Expires"] = http_date(job.expires_at.timestamp())
    response["Cache-Control"] = "no-store"
    return response


def _accepts_gzip(request: HttpRequest) -> bool:
    for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().removeprefix("q=")
            try:
                return not params or float(q) > 0
            except ValueError:
                return True
    return False


def _gunzip(stream: Any) -> Iterator[bytes]:
    with stream, gzip.open(stream, "rb") as fh:
        while chunk := fh.read(256 * 1024):
            yield chunk


@fhir_view(("GET",))
def export_file(request: HttpRequest, user: User, job_id: uuid.UUID, filename: str) -> HttpResponse:
    """One NDJSON file of a finished export, for the user who asked for it (gzip if accepted)."""
    selectors.scope_for(user)
    job = bulk.export_get_for_user(user, job_id)
    type_name = filename.removesuffix(".ndjson")
    listed = {o["type"] for o in [*job.output, *job.errors]}
    if (
        job.status != ExportJob.Status.COMPLETED
        or type_name not in listed
        or not filename.endswith(".ndjson")
    ):
        raise Http404("No such file in this export.")
    name = bulk.export_file(job, type_name)
    try:
        stream = export_storage().open(name, "rb")
    except FileNotFoundError:
        # Listed by a finished, unexpired export but not in this server's exports storage: say so (with a
        # shared-nothing "filesystem" storage it may exist on another machine), never that it is gone.
        logger.error("bulk export %s: file %s not found in the exports storage", job.pk, name)
        raise Http404(
            "This export's file was not found in this server's export storage; start a new export, "
            "or ask the administrator to check NERVECARE_EXPORT_STORAGE."
        ) from None
    audit_record(
        actor=user,
        action="view",
        obj=job,
        summary=f"FHIR bulk export file downloaded: {filename}",
    )
    if _accepts_gzip(request):
        response: HttpResponse = FileResponse(stream, content_type=NDJSON)
        response["Content-Encoding"] = "gzip"
    else:
        response = StreamingHttpResponse(_gunzip(stream), content_type=NDJSON)
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "no-store"
    return response
