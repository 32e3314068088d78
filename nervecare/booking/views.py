"""The public booking pages (no sign-in): a clinic's services, a service's therapists and free times with the
request form, "check your e-mail", and the confirmation link's page. Every page is rate limited per address,
every form carries its CSRF token, and nothing loads from another host (no script at all)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from nervecare.booking import selectors, services
from nervecare.booking.forms import BookingForm
from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.throttling import OnlineBookingThrottle, PublicPageThrottle
from nervecare.scheduling.selectors import appointment_get_for_user
from nervecare.scheduling.services import BookingConflictError


def _too_many(request: HttpRequest, wait: float | None) -> HttpResponse:
    seconds = math.ceil(wait or 60)
    response = render(
        request, "booking/too_many.html", {"minutes": max(1, math.ceil(seconds / 60))}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Rate limited per address (NERVECARE_PUBLIC_PAGE_RATE; a request to hold a time also counts against
    NERVECARE_ONLINE_BOOKING_RATE) and never cached (the forms carry personal details)."""

    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = PublicPageThrottle()
        if not throttle.allow_request(request):
            return _too_many(request, throttle.wait())
        return view(request, *args, **kwargs)

    return wrapper


@public_page
def clinic_page(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = selectors.clinic_for_online_booking(slug)
    return render(
        request,
        "booking/clinic.html",
        {"clinic": clinic, "services": list(selectors.online_services(clinic))},
    )


def _start(value: str | None, clinic: Any) -> datetime.date:
    try:
        return datetime.date.fromisoformat((value or "")[:10])
    except ValueError:
        return selectors.first_day(clinic)


@public_page
def service_page(request: HttpRequest, slug: str, service_id: int) -> HttpResponse:
    clinic = selectors.clinic_for_online_booking(slug)
    service = selectors.online_service(clinic, service_id)
    therapists = selectors.online_therapists(clinic, service)
    source = request.POST if request.method == "POST" else request.GET
    choice = str(source.get("therapist") or "any")[:12]
    if choice != "any" and choice not in {str(t.pk) for t in therapists}:
        choice = "any"
    chosen = therapists if choice == "any" else [t for t in therapists if str(t.pk) == choice]
    form = BookingForm(request.POST or None, initial={"therapist": choice})
    status = 200
    problems: list[str] = []
    if request.method == "POST":
        throttle = OnlineBookingThrottle()
        if not throttle.allow_request(request):
            return _too_many(request, throttle.wait())
        if form.is_valid():
            try:
                services.online_booking_request(
                    clinic=clinic,
                    service_id=service.pk,
                    therapist=choice,
                    slot=form.cleaned_data["slot"],
                    contact=form.contact(),
                    consent=form.cleaned_data["consent"],
                    consent_version=form.cleaned_data["consent_version"],
                    link_for=lambda token: request.build_absolute_uri(
                        reverse("booking:confirm", kwargs={"slug": clinic.slug, "token": token})
                    ),
                )
            except FieldErrors as exc:
                problems = _put_errors(form, exc.errors)
                status = 422
            except BookingConflictError as exc:
                problems = _put_errors(form, {"slot": next(iter(exc.errors.values()), "taken")})
                status = 409
            else:
                return redirect("booking:requested", slug=clinic.slug)
        else:
            status = 422
    times = selectors.offered_times(
        clinic=clinic,
        service=service,
        therapists=chosen,
        start=_start(source.get("start"), clinic),
        any_therapist=choice == "any",
    )
    chosen_slot = form.data.get("slot") if form.is_bound else None
    return render(
        request,
        "booking/service.html",
        {
            "clinic": clinic,
            "service": service,
            "therapists": therapists,
            "choice": choice,
            "times": times,
            "form": form,
            "problems": problems,
            "chosen_slot": chosen_slot,
            "consent": selectors.current_consent_text(clinic),
            "hold_minutes": services.hold_minutes(),
            "confirm_hours": services.confirm_hours(),
        },
        status=status,
    )


def _put_errors(form: BookingForm, errors: dict[str, str]) -> list[str]:
    """Each error next to its field; the ones without a field on the page are listed at the top."""
    leftover = []
    for key, message in errors.items():
        if key in form.fields and not form.fields[key].widget.is_hidden:
            form.add_error(key, message)
        else:
            leftover.append(message)
    return leftover


@public_page
def requested(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = selectors.clinic_for_online_booking(slug)
    return render(
        request,
        "booking/requested.html",
        {
            "clinic": clinic,
            "hold_minutes": services.hold_minutes(),
            "confirm_hours": services.confirm_hours(),
        },
    )


@public_page
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows what is to be confirmed and a button (a mail scanner following the link books nothing);
    POST confirms it."""
    clinic = selectors.clinic_for_online_booking(slug)
    booking = selectors.booking_by_token(token)
    if booking is None or booking.clinic_id != clinic.pk:
        return render(request, "booking/confirm.html", {"clinic": clinic, "invalid": True}, status=404)
    context: dict[str, Any] = {
        "clinic": clinic,
        "booking": booking,
        **selectors.appointment_summary(booking.appointment),
    }
    status = 200
    if request.method == "POST":
        try:
            booking = services.online_booking_confirm(token=token)
        except FieldErrors as exc:
            context["problem"] = next(iter(exc.errors.values()))
            status = 422
        except BookingConflictError:
            context["taken"] = True
            status = 409
        else:
            context["confirmed"] = True
    elif booking.confirmed_at is not None:
        context["confirmed"] = True
    return render(request, "booking/confirm.html", context, status=status)


@login_required
def held_cancel(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """Staff cancel a request still only held (GET: the request and the reason to give; POST: cancel)."""
    appointment = appointment_get_for_user(request.user, appointment_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.online_booking_cancel_hold(
                actor=request.user, appointment=appointment, reason=request.POST.get("reason", "")
            )
        except FieldErrors as exc:
            errors = exc.errors
        else:
            messages.success(request, "The held online request is cancelled: the time is free again.")
            return redirect(reverse("scheduling:appointment", args=[appointment.pk]))
    tz = ZoneInfo(appointment.clinic.timezone)
    return render(
        request,
        "booking/held_cancel.html",
        {
            "a": appointment,
            "local": appointment.starts_at.astimezone(tz),
            "errors": errors,
            "reason": request.POST.get("reason", "")[:300],
        },
        status=422 if errors else 200,
    )
