"""The set-up pages (/setup/): the clinic's admins only, their own clinic only. Thin: parse the form, call one
service or selector, render; a refused service's errors go on the form's fields (core.pages.run_service)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_POST

from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.pages import form_page, run_service
from nervecare.core.permissions import require_setup_admin
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.scheduling import services as scheduling_services
from nervecare.screening.models import SafetyThresholds
from nervecare.screening.selectors import thresholds_for
from nervecare.setup import selectors, services
from nervecare.setup.forms import (
    ClinicForm,
    ClosureForm,
    HolidaysForm,
    HoursFormSet,
    InviteForm,
    RoomForm,
    ServiceForm,
    TherapistProfileForm,
    ThresholdsForm,
    TimeOffForm,
)
from nervecare.setup.invites import invite_tokens


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, failed: bool = False
) -> HttpResponse:
    return render(request, template, context, status=422 if failed else 200)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "setup/home.html", {"progress": selectors.setup_progress(request.user)})


@login_required
def clinic(request: AuthedHttpRequest) -> HttpResponse:
    current = selectors.clinic_for_admin(request.user)
    initial = {f: getattr(current, f) for f in services.CLINIC_FIELDS}
    regions = selectors.holiday_countries().get(current.country, [])
    form = ClinicForm(request.POST or None, initial=initial, regions=regions)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            lambda: services.clinic_update(actor=request.user, data=dict(form.cleaned_data)),
            form=form,
            success="Clinic details saved.",
        )
        if done.ok:
            return redirect("setup:clinic")
    return _render(
        request, "setup/clinic.html", {"form": form, "clinic": current}, failed=request.method == "POST"
    )


THRESHOLD_FIELDS = (
    "platelets_min_per_ul",
    "platelets_policy",
    "neutrophils_min_per_ul",
    "fever_min_celsius",
    "dvt_history_months",
)


@login_required
def thresholds(request: AuthedHttpRequest) -> HttpResponse:
    current = thresholds_for(selectors.clinic_for_admin(request.user))
    form = ThresholdsForm(request.POST or None, initial={f: getattr(current, f) for f in THRESHOLD_FIELDS})
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            lambda: services.thresholds_update(actor=request.user, data=dict(form.cleaned_data)),
            form=form,
            success="Safety thresholds saved; the next safety check uses them.",
        )
        if done.ok:
            return redirect("setup:thresholds")
    rows = []
    for name in THRESHOLD_FIELDS:
        field = SafetyThresholds._meta.get_field(name)
        rows.append(
            {
                "field": form[name],
                "current": getattr(current, name),
                "published": field.default,  # type: ignore[union-attr]
                "source": field.help_text,  # type: ignore[union-attr]
            }
        )
    return _render(
        request, "setup/thresholds.html", {"form": form, "rows": rows}, failed=request.method == "POST"
    )


@login_required
def staff(request: AuthedHttpRequest) -> HttpResponse:
    people = selectors.staff_for_admin(request.user)
    return render(request, "setup/staff.html", {"people": people})


@login_required
def staff_invite(request: AuthedHttpRequest) -> HttpResponse:
    require_setup_admin(request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            lambda: services.staff_invite(actor=request.user, base_url=_base_url(request), **data),
            form=form,
        )
        if done.ok and done.value is not None:
            return redirect("setup:staff_member", staff_id=done.value.pk)
    return _render(request, "setup/invite.html", {"form": form}, failed=request.method == "POST")


@login_required
def staff_member(request: AuthedHttpRequest, staff_id: int) -> HttpResponse:
    person = selectors.staff_get_for_admin(request.user, staff_id)
    therapist = getattr(person, "therapist", None)
    return render(
        request,
        "setup/staff_member.html",
        {
            "person": person,
            "therapist": therapist,
            "certifications": selectors.certification_rows(therapist) if therapist else [],
            "invited": not person.has_usable_password(),
        },
    )


@login_required
@require_POST
def staff_action(request: AuthedHttpRequest, staff_id: int, action: str) -> HttpResponse:
    person = selectors.staff_get_for_admin(request.user, staff_id)
    actor = request.user
    calls = {
        "deactivate": (
            lambda: services.staff_deactivate(actor=actor, staff=person),
            f"{person.username} is deactivated: signed out, API tokens and calendar links revoked.",
        ),
        "reactivate": (
            lambda: services.staff_reactivate(actor=actor, staff=person),
            f"{person.username} can sign in again.",
        ),
        "mfa-reset": (
            lambda: services.staff_mfa_reset(actor=actor, staff=person),
            f"{person.username}'s second factor is reset: they set up a new authenticator app at their next sign-in.",
        ),
        "resend": (
            lambda: services.staff_invite_resend(actor=actor, staff=person, base_url=_base_url(request)),
            f"Invitation sent again to {person.email}.",
        ),
    }
    if action not in calls:
        return redirect("setup:staff_member", staff_id=person.pk)
    call, message = calls[action]
    done = run_service(request, call, success=message)
    if done.ok and action == "deactivate" and isinstance(done.value, dict) and done.value.get("future"):
        messages.warning(
            request,
            f"{done.value['future']} future appointment(s) are still booked with {person.username}: move or cancel them from the calendar.",
        )
    return redirect("setup:staff_member", staff_id=person.pk)


@login_required
def therapist_profile(request: AuthedHttpRequest, therapist_id: int) -> HttpResponse:
    therapist = selectors.therapist_get_for_admin(request.user, therapist_id)
    initial: dict[str, Any] = {
        "display_name": therapist.display_name,
        "years_experience": therapist.years_experience,
        "bio": therapist.bio,
    }
    for code in therapist.certifications:
        initial[f"cert_{code}"] = True
        initial[f"expires_{code}"] = (therapist.certification_expiry or {}).get(code)
    form = TherapistProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("display_name", "years_experience", "bio")}
        data["certifications"] = form.certification_rows()
        done = run_service(
            request,
            lambda: services.therapist_profile_update(actor=request.user, therapist=therapist, data=data),
            form=form,
            success="Profile saved.",
        )
        if done.ok:
            return redirect("setup:staff_member", staff_id=therapist.user_id)
    return _render(
        request,
        "setup/therapist_profile.html",
        {"form": form, "therapist": therapist, "certifications": selectors.certification_rows(therapist)},
        failed=request.method == "POST",
    )


def _hours_errors_to_formset(formset: Any, errors: dict[str, str], rows_index: list[int]) -> None:
    """The service names rows as hours[i] (of the rows sent); put each message on the form it came from."""
    for key, message in errors.items():
        if key.startswith("hours[") and "]" in key:
            i = int(key[6 : key.index("]")])
            field = key.split(".", 1)[1] if "." in key else None
            form = formset.forms[rows_index[i]] if i < len(rows_index) else None
            if form is not None:
                form.add_error(field if field in form.fields else None, message)
                continue
        formset._non_form_errors = formset.error_class([*formset.non_form_errors(), message])


@login_required
def hours(request: AuthedHttpRequest, therapist_id: int) -> HttpResponse:
    therapist = selectors.therapist_get_for_admin(request.user, therapist_id)
    current = selectors.hours_for_therapist(therapist)
    initial = [
        {
            "weekday": h.weekday,
            "start": h.start,
            "end": h.end,
            "every_weeks": h.every_weeks,
            "anchor_date": h.anchor_date,
        }
        for h in current
    ]
    formset = HoursFormSet(request.POST or None, initial=initial, prefix="hours")
    failed = False
    if request.method == "POST":
        if formset.is_valid():
            rows, index = [], []
            for i, form in enumerate(formset.forms):
                data = form.cleaned_data
                if not data or data.get("DELETE"):
                    continue
                rows.append({k: data[k] for k in ("weekday", "start", "end", "every_weeks", "anchor_date")})
                index.append(i)
            try:
                scheduling_services.working_hours_set(actor=request.user, therapist=therapist, hours=rows)
            except FieldErrors as exc:
                _hours_errors_to_formset(formset, exc.errors, index)
                failed = True
            else:
                messages.success(request, f"Weekly hours of {therapist.display_name} saved.")
                return redirect("setup:hours", therapist_id=therapist.pk)
        else:
            failed = True
    return _render(
        request,
        "setup/hours.html",
        {
            "therapist": therapist,
            "formset": formset,
            "time_off": selectors.time_off_for_therapist(therapist),
            "time_off_form": TimeOffForm(),
            "tz": therapist.clinic.timezone,
        },
        failed=failed,
    )


@login_required
def time_off_add(request: AuthedHttpRequest, therapist_id: int) -> HttpResponse:
    therapist = selectors.therapist_get_for_admin(request.user, therapist_id)
    form = TimeOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        # The typed wall-clock time is the clinic's local time (the service reads a time without an offset so).
        data["starts_at"] = data["starts_at"].replace(tzinfo=None)
        data["ends_at"] = data["ends_at"].replace(tzinfo=None)
        done = run_service(
            request,
            lambda: scheduling_services.exception_add(actor=request.user, therapist=therapist, **data),
            form=form,
            success="Saved.",
        )
        if done.ok:
            return redirect("setup:hours", therapist_id=therapist.pk)
    return _render(
        request,
        "setup/time_off.html",
        {"therapist": therapist, "form": form, "tz": therapist.clinic.timezone},
        failed=request.method == "POST",
    )


@login_required
@require_POST
def time_off_remove(request: AuthedHttpRequest, exception_id: int) -> HttpResponse:
    exception = selectors.time_off_get_for_admin(request.user, exception_id)
    therapist_id = exception.therapist_id
    run_service(
        request,
        lambda: scheduling_services.exception_remove(actor=request.user, exception=exception),
        success="Removed.",
    )
    return redirect("setup:hours", therapist_id=therapist_id)


@login_required
def service_list(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "setup/services.html", {"services": selectors.services_for_admin(request.user)})


@login_required
def service_form(request: AuthedHttpRequest, service_id: int | None = None) -> HttpResponse:
    service = selectors.service_get_for_admin(request.user, service_id) if service_id else None
    require_setup_admin(request.user)
    initial = (
        {
            f: getattr(service, f)
            for f in (
                "name",
                "modality",
                "minutes",
                "buffer_minutes",
                "required_certifications",
                "description",
                "bookable_online",
                "active",
            )
        }
        if service
        else None
    )
    form = ServiceForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form,
        save=lambda: services.service_save(actor=request.user, data=dict(form.cleaned_data), service=service),
        success="Service saved.",
        then="setup:services",
        template="setup/form_page.html",
        context={"title": f"Change {service.name}" if service else "Add a service", "back": "setup:services"},
    )


@login_required
def room_list(request: AuthedHttpRequest) -> HttpResponse:
    require_setup_admin(request.user)
    form = RoomForm(request.POST or None)
    return form_page(
        request,
        form,
        save=lambda: services.room_save(actor=request.user, data=dict(form.cleaned_data)),
        success="Room added.",
        then="setup:rooms",
        template="setup/rooms.html",
        context={"rooms": selectors.rooms_for_admin(request.user)},
    )


@login_required
def room_form(request: AuthedHttpRequest, room_id: int) -> HttpResponse:
    room = selectors.room_get_for_admin(request.user, room_id)
    form = RoomForm(request.POST or None, initial={"name": room.name, "active": room.active})
    return form_page(
        request,
        form,
        save=lambda: services.room_save(actor=request.user, data=dict(form.cleaned_data), room=room),
        success="Room saved.",
        then="setup:rooms",
        template="setup/form_page.html",
        context={"title": f"Change {room.name}", "back": "setup:rooms"},
    )


@login_required
def closures(request: AuthedHttpRequest) -> HttpResponse:
    current = selectors.clinic_for_admin(request.user)
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            lambda: services.closure_add(actor=request.user, **form.cleaned_data),
            form=form,
            success="Closure added: nothing is offered or booked on those days.",
        )
        if done.ok:
            return redirect("setup:closures")
    today = timezone.localdate()
    return _render(
        request,
        "setup/closures.html",
        {
            "clinic": current,
            "form": form,
            "holidays_form": HolidaysForm(initial={"year": today.year}),
            "closures": selectors.closures_for_admin(request.user).filter(
                ends_on__gte=today.replace(month=1, day=1)
            ),
            "holiday_calendar": current.country in selectors.holiday_countries(),
        },
        failed=request.method == "POST",
    )


@login_required
@require_POST
def closure_remove(request: AuthedHttpRequest, closure_id: int) -> HttpResponse:
    closure = selectors.closure_get_for_admin(request.user, closure_id)
    run_service(
        request,
        lambda: services.closure_remove(actor=request.user, closure=closure),
        success="Closure removed.",
    )
    return redirect("setup:closures")


@login_required
@require_POST
def holidays_import(request: AuthedHttpRequest) -> HttpResponse:
    require_setup_admin(request.user)
    form = HolidaysForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Year: " + " ".join(str(e) for e in form.errors.get("year", ["give a year from 2000 to 2100"])),
        )
        return redirect("setup:closures")
    done = run_service(
        request, lambda: services.holidays_import(actor=request.user, year=form.cleaned_data["year"])
    )
    if done.ok and done.value is not None:
        r = done.value
        messages.success(
            request,
            f"Public holidays {r['year']}: {r['added']} added, {r['already_listed']} already listed.",
        )
    return redirect("setup:closures")


def invite_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitation link: the colleague chooses a password (once); then they sign in and set up their
    authenticator app. A used, expired or altered link says so and changes nothing."""
    try:
        user = User.objects.filter(pk=int(force_str(urlsafe_base64_decode(uidb64)))).first()
    except (ValueError, TypeError, OverflowError):
        user = None
    if (
        user is None
        or not user.is_active
        or user.has_usable_password()
        or not invite_tokens.check_token(user, token)
    ):
        return render(request, "setup/invite_accept.html", {"valid": False}, status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit_record(actor=user, action="update", obj=user, summary="Invitation accepted; password set")
        messages.success(request, "Your password is set. Sign in to continue.")
        return redirect("login")
    return render(
        request,
        "setup/invite_accept.html",
        {"valid": True, "form": form, "invited": user},
        status=422 if request.method == "POST" else 200,
    )
