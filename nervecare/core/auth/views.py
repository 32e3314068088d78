"""Sign-in pages beyond Django's own: the two-factor set-up and code pages, and the lockout page.

The password step is Django's LoginView (templates/registration/login.html); django-axes counts failures there
and on the code step here, and `lockout_response` renders what a locked-out person sees.
"""

from typing import Any
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from nervecare.core.auth import mfa
from nervecare.core.request_types import AuthedHttpRequest


class CodeForm(forms.Form):
    # No `required` attribute: leaving the empty field to press "Sign out" must not raise an inline error (the
    # server still says when the code is missing).
    use_required_attribute = False

    code = forms.CharField(
        label=_("6-digit code"),
        max_length=20,
        error_messages={"required": _("Enter the 6-digit code your authenticator app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 10}
        ),
    )


WRONG_CODE = _("That code is not right. Enter the 6-digit code your authenticator app shows now.")
THROTTLED = _("Too many wrong codes in a row. Wait a few seconds, then enter the code your app shows now.")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() reads anything else without a slash ("-1") as a view's name (a 500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def _credentials(request: HttpRequest) -> dict[str, str]:
    return {"username": request.user.get_username()}


def _code_failed(request: HttpRequest) -> HttpResponse | None:
    """A wrong code counts as a failed sign-in for django-axes; at the limit the person is signed out."""
    credentials = _credentials(request)
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False) or not AxesProxyHandler.is_allowed(request, credentials):
        logout(request)
        return lockout_response(request, None, credentials)
    return None


def _locked(request: HttpRequest) -> HttpResponse | None:
    credentials = _credentials(request)
    if not AxesProxyHandler.is_allowed(request, credentials):
        logout(request)
        return lockout_response(request, None, credentials)
    return None


@never_cache
@sensitive_post_parameters("code")
@login_required
def mfa_setup(request: AuthedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code (and the secret as text), confirmed with a first code.

    Only for someone with no confirmed device: otherwise a password alone could swap in the attacker's phone.
    """
    user = request.user
    next_url = _next_url(request)
    if not mfa.mfa_required_for(user):
        return redirect(next_url)
    if mfa.has_confirmed_device(user):
        return redirect(_with_next("mfa_verify", next_url))
    device = mfa.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if (locked := _locked(request)) is not None:
            return locked
        if form.is_valid():
            matched, throttled = _check_enrolment(device, form.cleaned_data["code"])
            if matched:
                codes = mfa.enrolment_confirm(request, device)
                request.session.cycle_key()  # a new session key for the fully signed-in session
                return render(
                    request, "registration/mfa_backup_codes.html", {"codes": codes, "next": next_url}
                )
            form.add_error("code", THROTTLED if throttled else WRONG_CODE)
            if not throttled and (locked := _code_failed(request)) is not None:
                return locked
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": mfa.qr_svg(device.config_url, label=str(_("QR code for your authenticator app"))),
        "secret": mfa.secret_base32(device),
    }
    return render(request, "registration/mfa_setup.html", context, status=400 if form.errors else 200)


def _check_enrolment(device: Any, code: str) -> tuple[bool, bool]:
    if not device.verify_is_allowed()[0]:
        return False, True
    return device.verify_token("".join(code.split())), False


@never_cache
@sensitive_post_parameters("code")
@login_required
def mfa_verify(request: AuthedHttpRequest) -> HttpResponse:
    """The second step of every staff sign-in: a code from the authenticator app (or a backup code)."""
    user = request.user
    next_url = _next_url(request)
    if not mfa.mfa_required_for(user) or user.is_verified():
        return redirect(next_url)
    if not mfa.has_confirmed_device(user):
        return redirect(_with_next("mfa_setup", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if (locked := _locked(request)) is not None:
            return locked
        if form.is_valid():
            device, throttled = mfa.verify_code(user, form.cleaned_data["code"])
            if device is not None:
                otp_login(request, device)
                request.session.cycle_key()  # a new session key for the fully signed-in session
                return redirect(next_url)
            form.add_error("code", THROTTLED if throttled else WRONG_CODE)
            if not throttled and (locked := _code_failed(request)) is not None:
                return locked
    return render(
        request,
        "registration/mfa_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """What django-axes shows when a username is locked on this IP address: the sign-in page, saying so."""
    minutes = settings.NERVECARE_LOCKOUT_MINUTES
    context = {
        "form": AuthenticationForm(request),
        "locked_minutes": minutes,
        "next": settings.LOGIN_REDIRECT_URL,
    }
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"
