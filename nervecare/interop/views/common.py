"""What every FHIR view shares: authentication (session or bearer token) with throttling, the fhir_view
decorator that turns every error into an OperationOutcome with a 4xx status, and the response helpers.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from nervecare.clients.models import Client
from nervecare.core import audit
from nervecare.core.models import User
from nervecare.core.scopes import check_token_scope, fhir_scope
from nervecare.core.services import api_token_authenticate
from nervecare.core.throttling import ApiAnonThrottle, ApiUserThrottle, FailedAuthThrottle
from nervecare.interop import limits, mapping
from nervecare.interop.search import SearchError

FHIR_JSON = "application/fhir+json; charset=utf-8"
NDJSON = "application/fhir+ndjson"
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


def wants_json(request: HttpRequest) -> None:
    fmt = request.GET.get("_format", "")
    accept = request.META.get("HTTP_ACCEPT", "")
    if fmt and fmt not in ("json", "application/json", "application/fhir+json"):
        raise FhirError(406, "not-supported", "Only JSON is served (_format=json).", expression="_format")
    if accept and "json" not in accept and "*/*" not in accept and "application/*" not in accept:
        raise FhirError(406, "not-supported", "Only application/fhir+json is served.")


def strict(request: HttpRequest) -> bool:
    return "handling=strict" in request.META.get("HTTP_PREFER", "").replace(" ", "")


def audit_read(user: User, client_ids: set[int], summary: str, request: HttpRequest) -> None:
    """One "view" event per client whose data was read (a reference to the client is enough)."""
    objs = [Client(pk=client_id, clinic_id=user.clinic_id) for client_id in sorted(client_ids)]
    audit.record_many(actor=user, action="view", objs=objs, summary=summary)
