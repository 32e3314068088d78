"""Request middleware.

ApiJsonErrorsMiddleware: every response under /api/ is JSON, errors included (404 for an unknown route, 405 for
a wrong method). IdleSessionMiddleware and StaffMfaRequiredMiddleware: see the Authentication block of settings.
"""

import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy, ngettext


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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

    SESSION_KEY = "nervecare_last_activity"
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
        from nervecare.core.mfa import has_confirmed_device, mfa_required_for

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
