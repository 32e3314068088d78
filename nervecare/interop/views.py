"""The FHIR R4 REST interface at /fhir/R4/: CapabilityStatement, read, search, Bulk Data export, referral import.

Plain Django views, thin: authenticate (session or bearer token), parse, call a selector or service, answer
application/fhir+json. Every error is an OperationOutcome with a 4xx status: 401 without a login, 403 for a
role that may not read clinical data, 404 for anything outside the caller's clinic.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from nervecare.clients.models import Client
from nervecare.core import audit
from nervecare.core.bounds import SEARCH, non_finite_path
from nervecare.core.middleware import NUL_MESSAGE, nul_fields
from nervecare.core.models import User
from nervecare.core.scopes import check_token_scope, fhir_scope
from nervecare.core.services import api_token_authenticate, audit_record
from nervecare.core.throttling import ApiAnonThrottle, ApiUserThrottle, FailedAuthThrottle
from nervecare.interop import bulk, capability, limits, mapping, referral, selectors
from nervecare.interop.models import ExportJob
from nervecare.interop.search import Cursor, SearchError, split_values

FHIR_JSON = "application/fhir+json; charset=utf-8"
NDJSON = "application/fhir+ndjson"
DEFAULT_COUNT, MAX_COUNT = 50, 500
CONTROL_PARAMS = {"_count", "_cursor", "_format"}
OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}


class FhirError(Exception):
    """An error answered as an OperationOutcome with this status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        expression: str = "",
    ):
        self.status, self.code, self.headers, self.expression = status, code, headers or {}, expression
        super().__init__(message)


class NotAuthenticatedError(Exception):
    pass


def _throttle(throttle: ApiAnonThrottle | ApiUserThrottle | FailedAuthThrottle, request: HttpRequest) -> None:
    """The JSON API's rate limits (and counters) apply to FHIR too: 429 with Retry-After."""
    if not throttle.allow_request(request):
        wait = throttle.wait()
        raise FhirError(
            429,
            "throttled",
            "Too many requests: try again later.",
            {"Retry-After": str(math.ceil(wait or 60))},
        )


def fhir_response(
    data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")), status=status, content_type=FHIR_JSON
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, expression: str = ""
) -> HttpResponse:
    severity = "error" if status >= 400 else "information"
    return fhir_response(mapping.operation_outcome((severity, code, message, expression)), status, headers)


def _authenticate(request: HttpRequest) -> User:
    """A bearer token, or the web session (with its CSRF token for anything but a read)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = api_token_authenticate(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            raise NotAuthenticatedError
        check_token_scope(user.api_token, fhir_scope(request.method or "GET"))  # 403 naming the scope
        request.user = user
        return user
    if not request.user.is_authenticated:
        raise NotAuthenticatedError
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check = CsrfViewMiddleware(lambda r: HttpResponse())
        request.csrf_processing_done = False
        check.process_request(request)
        if check.process_view(request, lambda r: HttpResponse(), (), {}) is not None:
            raise PermissionDenied(
                "CSRF check failed: send the X-CSRFToken header with a session, or use a bearer token."
            )
    return request.user


def fhir_view(methods: tuple[str, ...], *, public: bool = False) -> Callable:
    """Wrap a view: allowed methods, authentication, and every error as an OperationOutcome."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                return outcome(
                    405,
                    "not-supported",
                    f"{request.method} is not supported here; use {', '.join(methods)}.",
                    {"Allow": ", ".join(methods)},
                )
            try:
                try:
                    user = None if public else _authenticate(request)
                except NotAuthenticatedError:
                    _throttle(FailedAuthThrottle(), request)  # guessing tokens from one address
                    raise
                # As /api/v1: per user when signed in, per address for the routes open without credentials.
                _throttle(ApiAnonThrottle() if user is None else ApiUserThrottle(), request)
                return view(request, user, *args, **kwargs) if not public else view(request, *args, **kwargs)
            except NotAuthenticatedError:
                return outcome(
                    401,
                    "login",
                    "Sign in or send Authorization: Bearer <token> (nervecare token create).",
                    {"WWW-Authenticate": 'Bearer realm="NerveCare FHIR"'},
                )
            except PermissionDenied as exc:
                return outcome(403, "forbidden", str(exc) or "Not allowed.")
            except Http404 as exc:
                return outcome(404, "not-found", str(exc) or "Not found.")
            except SearchError as exc:
                return outcome(400, "invalid", str(exc), expression=exc.expression or "")
            except FhirError as exc:
                return outcome(exc.status, exc.code, str(exc), exc.headers, exc.expression)
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                return outcome(413, "too-costly", f"The request body is larger than {limit} bytes.")
            except limits.LimitError as exc:
                return outcome(exc.status, "too-costly", str(exc), expression=exc.expression)

        return wrapper

    return decorate


def site_url(request: HttpRequest) -> str:
    public = getattr(settings, "NERVECARE_PUBLIC_URL", "")
    return (public or request.build_absolute_uri("/")).rstrip("/")


def base_url(request: HttpRequest) -> str:
    return site_url(request) + reverse("interop:base").rstrip("/")


def _wants_json(request: HttpRequest) -> None:
    fmt = request.GET.get("_format", "")
    accept = request.META.get("HTTP_ACCEPT", "")
    if fmt and fmt not in ("json", "application/json", "application/fhir+json"):
        raise FhirError(406, "not-supported", "Only JSON is served (_format=json).", expression="_format")
    if accept and "json" not in accept and "*/*" not in accept and "application/*" not in accept:
        raise FhirError(406, "not-supported", "Only application/fhir+json is served.")


def _strict(request: HttpRequest) -> bool:
    return "handling=strict" in request.META.get("HTTP_PREFER", "").replace(" ", "")


def _audit(user: User, client_ids: set[int], summary: str, request: HttpRequest) -> None:
    """One "view" event per client whose data was read (a reference to the client is enough)."""
    objs = [Client(pk=client_id, clinic_id=user.clinic_id) for client_id in sorted(client_ids)]
    audit.record_many(actor=user, action="view", objs=objs, summary=summary, request=request)


# --- metadata, read, search --------------------------------------------------------------------------------


@fhir_view(("GET",), public=True)
def metadata(request: HttpRequest) -> HttpResponse:
    _wants_json(request)
    return fhir_response(
        capability.capability_statement(base_url(request)), headers={"Cache-Control": "no-cache"}
    )


@fhir_view(("GET",))
def read(request: HttpRequest, user: User, resource_type: str, resource_id: str) -> HttpResponse:
    _wants_json(request)
    scope = selectors.scope_for(user, site_url(request))
    found = selectors.resource_read(scope, resource_type, resource_id)
    _audit(user, found.client_ids, f"FHIR read {resource_type}/{resource_id}", request)
    resource = found.resources[0]
    headers = {}
    if (resource.get("meta") or {}).get("lastUpdated"):
        updated = dt.datetime.fromisoformat(resource["meta"]["lastUpdated"])
        headers["Last-Modified"] = http_date(updated.timestamp())
    return fhir_response(resource, headers=headers)


@fhir_view(("GET",))
def search(request: HttpRequest, user: User, resource_type: str) -> HttpResponse:
    _wants_json(request)
    scope = selectors.scope_for(user, site_url(request))
    rtype = selectors.resource_type(resource_type)
    known = rtype.param_names()
    params: list[tuple[str, str, list[str]]] = []
    applied: list[tuple[str, str]] = []
    ignored: list[str] = []
    for raw_name, values in request.GET.lists():
        name, _, modifier = raw_name.partition(":")
        if name in CONTROL_PARAMS:
            continue
        if name not in known:
            ignored.append(raw_name)
            continue
        for value in values:
            alternatives = split_values(value)
            if not alternatives:
                raise SearchError(f"{raw_name}: empty value", raw_name)
            params.append((name, modifier, alternatives))
            applied.append((raw_name, value))
    if ignored and _strict(request):
        raise SearchError(f"Not search parameters of {resource_type}: {', '.join(ignored)}", ignored[0])
    count = _count(request)
    cursor = Cursor.decode(request.GET["_cursor"]) if request.GET.get("_cursor") else None
    if cursor and cursor.source >= len(rtype.sources):
        raise SearchError("_cursor: not a page token of this search", "_cursor")
    found = selectors.resource_search(scope, resource_type, params, count, cursor)
    _audit(user, found.client_ids, f"FHIR search {resource_type}", request)
    base = base_url(request)
    link_base = f"{base}/{resource_type}"

    def link(extra: list[tuple[str, str]]) -> str:
        query = urlencode(applied + [("_count", str(count))] + extra)
        return f"{link_base}?{query}"

    links = [{"relation": "self", "url": link([("_cursor", cursor.encode())] if cursor else [])}]
    if cursor:
        links.append({"relation": "first", "url": link([])})
    if found.next_cursor:
        links.append({"relation": "next", "url": link([("_cursor", found.next_cursor.encode())])})
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(),
        "link": links,
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in found.resources
        ],
    }
    if ignored:
        bundle["entry"].append(
            {
                "resource": mapping.operation_outcome(
                    (
                        "warning",
                        "not-supported",
                        f"Ignored (not search parameters of {resource_type}): {', '.join(ignored)}",
                    )
                ),
                "search": {"mode": "outcome"},
            }
        )
    return fhir_response(bundle)


def _count(request: HttpRequest) -> int:
    raw = request.GET.get("_count")
    if raw is None:
        return DEFAULT_COUNT
    try:
        count = int(raw)
    except ValueError:
        raise SearchError(f"_count: {raw!r} is not a whole number", "_count") from None
    if count < 1:
        raise SearchError("_count must be at least 1", "_count")
    return min(count, MAX_COUNT)


# --- import (POST [base]) ------------------------------------------------------------------------------------


@fhir_view(("POST",))
def base(request: HttpRequest, user: User) -> HttpResponse:
    """POST a referral Bundle (transaction or collection): creates or updates a client, with a report."""
    selectors.scope_for(user)
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip()
    if content_type not in ("application/fhir+json", "application/json"):
        raise FhirError(415, "not-supported", "Send the Bundle as application/fhir+json.")
    limits.check_declared_size(request.META.get("CONTENT_LENGTH"))  # before the body is read
    body = request.body or b""
    limits.check_body_size(body)
    try:
        bundle = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirError(400, "structure", f"The body is not JSON: {exc}") from None
    except RecursionError:  # nested deeper than the parser goes: far beyond the limit
        raise limits.LimitError(
            422, f"The Bundle is nested more than {limits.MAX_DEPTH} levels deep."
        ) from None
    limits.check_structure(bundle)  # cheap bounds before any validation
    bad_number = non_finite_path(bundle)
    if bad_number is not None:  # 1e999 reads as infinity: no column stores it, no calculation survives it
        raise FhirError(422, "invalid", f"{bad_number} must be a finite number", expression=bad_number)
    nul = next(nul_fields(bundle), None)
    if nul is not None:  # no text column can store NUL (PostgreSQL refuses it)
        raise FhirError(422, "invalid", f"{nul} {NUL_MESSAGE}", expression=nul)
    try:
        report = referral.referral_import(actor=user, bundle=bundle, request=request)
    except referral.BundleError as exc:
        return fhir_response(mapping.operation_outcome(*exc.issues), exc.status)
    headers = {"Location": f"{base_url(request)}/Patient/{report.client.pk}"}
    return fhir_response(mapping.operation_outcome(*report.issues), 201 if report.created else 200, headers)


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


def _gunzip(path: Any) -> Iterator[bytes]:
    with gzip.open(path, "rb") as fh:
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
    path = bulk.export_file(job, type_name)
    if not path.exists():
        raise Http404("This export's files are gone; start a new one.")
    audit_record(
        actor=user,
        action="view",
        obj=job,
        summary=f"FHIR bulk export file downloaded: {filename}",
        request=request,
    )
    if _accepts_gzip(request):
        response: HttpResponse = FileResponse(path.open("rb"), content_type=NDJSON)
        response["Content-Encoding"] = "gzip"
    else:
        response = StreamingHttpResponse(_gunzip(path), content_type=NDJSON)
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "no-store"
    return response


@fhir_view(("GET", "POST", "PUT", "PATCH", "DELETE"), public=True)
def unknown(request: HttpRequest, path: str = "") -> HttpResponse:
    raise Http404(f"Nothing at /fhir/R4/{path}: see /fhir/R4/metadata for what this server offers.")
