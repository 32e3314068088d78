"""Request middleware.

ApiJsonErrorsMiddleware: every response under /api/ is JSON, errors included (404 for an unknown route, 405 for
a wrong method). IdleSessionMiddleware and StaffMfaRequiredMiddleware: see the Authentication block of settings.

Request limits for the API, checked before a view runs: a body must be JSON (415 otherwise; the API takes no
forms or file uploads), a query string may hold at most DATA_UPLOAD_MAX_NUMBER_FIELDS parameters, and no
text may contain a NUL character (422 naming the field; the body size limit, DATA_UPLOAD_MAX_MEMORY_SIZE, is
answered with 413 by the API's exception handler)."""

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy, ngettext

from nervecare.core.auth import IDLE_CLOCK_SESSION_KEY
from nervecare.core.auth.mfa import has_confirmed_device, mfa_required_for
from nervecare.core.localtime import ClinicZone

JSON_TYPES = {"application/json", "application/merge-patch+json"}
FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}
_EMPTY_FORM = re.compile(rb"\s*(--[^\r\n]*--)?\s*")  # no fields: nothing, or only the closing boundary


NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


def nul_fields(value: Any, path: str = "") -> Iterator[str]:
    """Paths ("client.first_name", "marks[0].note") of the strings in a JSON value that contain NUL, which
    no text column can store (PostgreSQL refuses it outright)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield child
            else:
                yield from nul_fields(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nul_fields(item, f"{path}[{i}]")


def _nul_errors(request: HttpRequest) -> JsonResponse | None:
    fields = [
        name for name, values in request.GET.lists() if any("\x00" in v for v in values) or "\x00" in name
    ]
    if request.method in {"POST", "PUT", "PATCH"} and b"\\u0000" in request.body:
        with contextlib.suppress(ValueError):  # not JSON: the API answers that itself
            fields += list(nul_fields(json.loads(request.body)))
    if not fields:
        return None
    return JsonResponse(
        {"detail": "Invalid input.", "errors": [{"field": f, "message": NUL_MESSAGE} for f in fields]},
        status=422,
    )


def _refuse_request(request: HttpRequest) -> JsonResponse | None:
    if request.method in {"POST", "PUT", "PATCH"} and request.META.get("CONTENT_LENGTH") not in (
        None,
        "",
        "0",
    ):
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type in FORM_TYPES:
            try:
                body = request.body  # kept in memory: the view can still read it
            except RequestDataTooBig:
                message = f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
                return JsonResponse({"detail": message, "errors": []}, status=413)
            if _EMPTY_FORM.fullmatch(body):
                content_type = "application/json"  # an empty form: what some clients send without a body
        if content_type not in JSON_TYPES:
            message = f"Send the body as application/json, not {content_type or 'without a Content-Type'}."
            return JsonResponse(
                {"detail": message, "errors": [{"field": "body", "message": message}]}, status=415
            )
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    query = request.META.get("QUERY_STRING", "")
    if limit is not None and query and query.count("&") + 1 > limit:
        message = f"At most {limit} query parameters."
        return JsonResponse(
            {"detail": message, "errors": [{"field": "query", "message": message}]}, status=400
        )
    try:
        return _nul_errors(request)
    except RequestDataTooBig:
        return None  # the API's own handler answers 413


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refused = _refuse_request(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            detail = (
                HTTPStatus(response.status_code).phrase
                if response.status_code in HTTPStatus._value2member_map_
                else "Error"
            )
            if response.status_code == 405 and response.get("Allow"):
                detail += f": use {response['Allow']}"
            json_response = JsonResponse({"detail": detail, "errors": []}, status=response.status_code)
            if response.get("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response


def _idle_minutes(user: Any) -> int:
    if getattr(user, "role", None) == "client" and not user.is_staff:
        return settings.NERVECARE_CLIENT_IDLE_MINUTES
    return settings.NERVECARE_IDLE_MINUTES


def _htmx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """HTMX follows a plain redirect inside the page; HX-Redirect makes it load the whole page instead."""
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def _page_path(request: HttpRequest) -> str:
    """The page to come back to: for an HTMX request the page it came from, not the fragment's URL."""
    current = request.headers.get("HX-Current-URL", "")
    if request.headers.get("HX-Request") and current:
        parts = urlsplit(current)
        if url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()}):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


class IdleSessionMiddleware:
    """Signs a session out after NERVECARE_IDLE_MINUTES (staff) or NERVECARE_CLIENT_IDLE_MINUTES (portal
    clients) without a request. Every signed-in request counts as activity, HTMX ones included. The absolute
    limit stays SESSION_COOKIE_AGE."""

    SESSION_KEY = IDLE_CLOCK_SESSION_KEY
    WRITE_EVERY = 10  # seconds: don't rewrite the session on every request of a burst

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            minutes = _idle_minutes(user)
            last = request.session.get(self.SESSION_KEY)
            if isinstance(last, (int, float)) and now - last > minutes * 60:
                return self._sign_out(request, minutes)
            if not isinstance(last, (int, float)) or now - last >= self.WRITE_EVERY:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, minutes: int) -> HttpResponse:
        back_to = _page_path(request)
        logout(request)
        message = ngettext(
            "You were signed out after %(minutes)d minute without activity. Sign in again to go on.",
            "You were signed out after %(minutes)d minutes without activity. Sign in again to go on.",
            minutes,
        ) % {"minutes": minutes}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "errors": []}, status=401)
        messages.info(request, message)
        login_url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back_to})}"
        if request.headers.get("HX-Request"):
            return _htmx_redirect(request, login_url)
        return redirect(login_url)


class StaffMfaRequiredMiddleware:
    """Staff who have given their password but not yet a two-factor code reach only the sign-in pages.

    Pages redirect to the code page (or to enrolment, the first time). Under /api/ and /fhir/ the half-signed-in
    session counts for nothing: a bearer token still works, and a session-only API request gets a 401 that
    says what is missing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._open_prefixes: tuple[str, ...] | None = None

    def open_prefixes(self) -> tuple[str, ...]:
        if self._open_prefixes is None:
            self._open_prefixes = (
                resolve_url(settings.LOGIN_URL),
                reverse("logout"),
                reverse("mfa_setup"),
                reverse("mfa_verify"),
                reverse("password_reset"),
                "/accounts/reset/",
                "/" + settings.STATIC_URL.lstrip("/"),
            )
        return self._open_prefixes

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not mfa_required_for(user) or user.is_verified():
            return self.get_response(request)
        if request.path.startswith(self.open_prefixes()):
            return self.get_response(request)
        if request.path.startswith(("/api/", "/fhir/")):
            request.user = AnonymousUser()  # a bearer token may still sign the request in
            response = self.get_response(request)
            if response.status_code == 401 and request.path.startswith("/api/"):
                return JsonResponse({"detail": str(MFA_NEEDED), "errors": []}, status=401)
            return response
        name = "mfa_verify" if has_confirmed_device(user) else "mfa_setup"
        url = f"{reverse(name)}?{urlencode({'next': _page_path(request)})}"
        if request.headers.get("HX-Request"):
            return _htmx_redirect(request, url)
        return redirect(url)


MFA_NEEDED = gettext_lazy(
    "Finish signing in first: enter the code from your authenticator app at /accounts/mfa/verify/."
)


class ClinicTimezoneMiddleware:
    """Every page shows times in the signed-in user's clinic's time zone (staff and clients alike): the zone
    is activated for the request, so Django's template filters, `timezone.localtime()` and
    `timezone.localdate()` use it. Stored times stay UTC. Without a clinic (signed out, the installation's
    operator) times stay UTC; pages for visitors (the public booking page) name their clinic's zone
    themselves. The JSON API and FHIR are left alone: their times carry their UTC offset, and a token's
    request (signed in inside the view) must behave exactly as a session's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or getattr(user, "clinic_id", None) is None
            or request.path.startswith(("/api/", "/fhir/"))
        ):
            return self.get_response(request)
        timezone.activate(ClinicZone(lambda: user.clinic.timezone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
