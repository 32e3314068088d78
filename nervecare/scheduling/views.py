"""Scheduling pages: a week calendar per therapist or room, an appointment page, booking a series from a plan."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from nervecare.clients.models import Client
from nervecare.clients.selectors import can_see_client
from nervecare.core import localtime
from nervecare.core.bounds import SCHEDULE, SEARCH
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist
from nervecare.core.permissions import clinic_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.plans.models import CarePlan
from nervecare.scheduling import hooks, selectors, services
from nervecare.scheduling.forms import BookOneForm, CancelForm, RescheduleForm, SeriesForm, week_start
from nervecare.scheduling.models import Appointment, Room, Service

DAY_START_HOUR, DAY_END_HOUR = 7, 21  # the calendar grid, clinic local time
ROW_MINUTES = 15


@login_required
def week_calendar(request: AuthedHttpRequest) -> HttpResponse:
    require_scheduling(request.user)
    clinic = clinic_of(request.user)
    tz = selectors.clinic_tz(clinic)
    therapists = list(Therapist.objects.filter(clinic=clinic, active=True))
    rooms = list(selectors.rooms_for_clinic(clinic.id))
    try:
        day = (
            date.fromisoformat(request.GET.get("week", ""))
            if request.GET.get("week")
            else timezone.localdate(timezone=tz)
        )
    except ValueError:
        day = timezone.localdate(timezone=tz)
    if not SEARCH.contains(day):  # year 9999 has no week after it to show
        day = timezone.localdate(timezone=tz)
    monday = week_start(day)
    room = None
    therapist = None
    if request.GET.get("room"):
        room = get_object_or_404(Room, pk=request.GET["room"], clinic=clinic)
    else:
        own = getattr(request.user, "therapist", None)
        wanted = request.GET.get("therapist") or (
            own.id if own else (therapists[0].id if therapists else None)
        )
        therapist = get_object_or_404(Therapist, pk=wanted, clinic=clinic) if wanted else None
    start = localtime.boundary_to_utc(monday, datetime.min.time(), tz)
    end = localtime.boundary_to_utc(monday + timedelta(days=7), datetime.min.time(), tz)
    appointments = list(
        selectors.appointments_in_range(
            clinic.id,
            start,
            end,
            therapist_id=therapist.id if therapist else None,
            room_id=room.id if room else None,
        )
    )
    days = [monday + timedelta(days=i) for i in range(7)]
    closed = selectors.closed_days(clinic, monday, days[-1])
    blocks = [_block(a, tz, monday) for a in appointments]
    working = []
    if therapist is not None:
        for i, d in enumerate(days):
            for s, e in selectors.therapist_working_intervals(therapist, d, tz, closed=closed):
                working.append({"col": i + 2, **_rows(s.astimezone(tz), e.astimezone(tz))})
    hours = [
        {"label": f"{h:02d}:00", "row": (h - DAY_START_HOUR) * 60 // ROW_MINUTES + 2}
        for h in range(DAY_START_HOUR, DAY_END_HOUR)
    ]
    return render(
        request,
        "scheduling/week.html",
        {
            "days": [{"date": d, "col": i + 2, "closed": closed.get(d, "")} for i, d in enumerate(days)],
            "blocks": blocks,
            "working": working,
            "hours": hours,
            "therapists": therapists,
            "rooms": rooms,
            "therapist": therapist,
            "room": room,
            "prev_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "monday": monday,
            "tz": tz.key,
            "rows": (DAY_END_HOUR - DAY_START_HOUR) * 60 // ROW_MINUTES,
        },
    )


def _rows(local_start: datetime, local_end: datetime) -> dict[str, int]:
    def row(t: datetime) -> int:
        minutes = (t.hour - DAY_START_HOUR) * 60 + t.minute
        return max(0, min(minutes, (DAY_END_HOUR - DAY_START_HOUR) * 60)) // ROW_MINUTES + 2

    end_row = (
        row(local_end)
        if local_end.date() == local_start.date()
        else row(local_start.replace(hour=DAY_END_HOUR - 1, minute=59))
    )
    return {"row_start": row(local_start), "row_end": max(end_row, row(local_start) + 1)}


def _block(a, tz: ZoneInfo, monday: date) -> dict:  # noqa: ANN001
    local = a.starts_at.astimezone(tz)
    return {
        "appointment": a,
        "col": (local.date() - monday).days + 2,
        **_rows(local, a.ends_at.astimezone(tz)),
        "label": f"{local:%H:%M} {a.client.first_name} {a.client.last_name[:1]}."
        + (" (held online, unconfirmed)" if a.status == Appointment.Status.HELD else ""),
        "service": a.service.name,
    }


@login_required
def appointment_detail(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    tz = selectors.clinic_tz(appointment.clinic)
    local = appointment.starts_at.astimezone(tz)
    form = RescheduleForm(
        request.POST or None,
        initial={"day": local.date(), "at": local.time(), "therapist_id": appointment.therapist_id},
        therapists=Therapist.objects.filter(clinic_id=appointment.clinic_id, active=True),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                starts_at = localtime.combine_to_utc(
                    form.cleaned_data["day"], form.cleaned_data["at"], tz, field="at"
                )
                services.appointment_reschedule(
                    actor=request.user,
                    appointment=appointment,
                    starts_at=starts_at,
                    therapist_id=form.cleaned_data.get("therapist_id"),
                )
            except FieldErrors as exc:
                for key, message in exc.errors.items():
                    form.add_error(key if key in form.fields else None, message)
                status = 422
            except services.BookingConflictError as exc:
                for message in exc.errors.values():
                    form.add_error(None, message)
                status = 409
            else:
                messages.success(request, _("Appointment moved."))
                return redirect(_next(request) or reverse("scheduling:appointment", args=[appointment.id]))
        else:
            status = 422
    return render(
        request,
        "scheduling/appointment.html",
        {
            "a": appointment,
            "local": local,
            "local_end": appointment.ends_at.astimezone(tz),
            "tz": tz.key,
            "form": form,
            "cancel_form": CancelForm(),
            "clinical": can_see_client(request.user, appointment.client),
            "next": _next(request),
            "day_url": f"{reverse('scheduling:day')}?date={local.date().isoformat()}",
            "check_out_links": hooks.check_out_links(request.user, appointment),
            "appointment_links": hooks.appointment_links(request.user, appointment),
        },
        status=status,
    )


def _next(request: AuthedHttpRequest) -> str:
    """Where to go back to after an action (the day view), if it is a page of this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: redirect() reads anything else without a slash ("-1") as a view's name (a 500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


APPOINTMENT_ACTIONS = {"cancel", "check-in", "no-show", "check-out", "undo-check-in", "undo-check-out"}


@login_required
@require_POST
def appointment_action(request: AuthedHttpRequest, appointment_id: int, action: str) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(request.user, appointment_id)
    if action not in APPOINTMENT_ACTIONS:
        raise Http404("No such action.")
    try:
        if action == "cancel":
            services.appointment_cancel(
                actor=request.user,
                appointment=appointment,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Appointment cancelled; the client will be told."))
        elif action == "check-in":
            booking = services.appointment_check_in(actor=request.user, appointment=appointment)
            messages.success(request, _("Checked in."))
            for warning in booking.warnings:
                messages.warning(request, warning)
        elif action == "no-show":
            services.appointment_no_show(actor=request.user, appointment=appointment)
            messages.success(request, _("Marked as a no-show."))
        elif action == "check-out":
            services.check_out(actor=request.user, appointment=appointment)
            messages.success(request, _("Checked out."))
        elif action == "undo-check-in":
            services.appointment_check_in_undo(actor=request.user, appointment=appointment)
            messages.success(request, _("Check-in undone."))
        elif action == "undo-check-out":
            services.check_out_undo(actor=request.user, appointment=appointment)
            messages.success(request, _("Check-out undone."))
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    except services.SessionBlockedError as exc:
        messages.error(request, exc.message_for(request.user))
    return redirect(_next(request) or reverse("scheduling:appointment", args=[appointment.id]))


def _replacements(post: QueryDict) -> dict[int, datetime]:
    """The other starts picked in the series preview (replace_<index> = ISO start), each a bookable date."""
    out: dict[int, datetime] = {}
    for key, value in post.items():
        if key.startswith("replace_") and isinstance(value, str) and value and value != "skip":
            try:
                index, starts_at = int(key.removeprefix("replace_")), datetime.fromisoformat(value)
            except ValueError:
                raise FieldErrors({"replacements": _("Pick one of the offered times.")}) from None
            if not SCHEDULE.contains(starts_at):
                raise FieldErrors({"replacements": _("A replacement time %s.") % SCHEDULE.message()})
            out[index] = starts_at
    return out


def _series_choices(client: Client, plan: CarePlan) -> tuple[list[Service], list[Therapist]]:
    """The services of the plan's modality (its session length first) and the therapists qualified for
    the first of them (the plan's therapist first)."""
    svc = sorted(
        (s for s in selectors.services_for_clinic(client.clinic_id) if s.modality == plan.modality),
        key=lambda s: (s.minutes != plan.session_minutes, s.name),
    )
    therapists = list(selectors.qualified_therapists(client.clinic_id, svc[0], plan)) if svc else []
    if plan.therapist and plan.therapist in therapists:
        therapists.remove(plan.therapist)
        therapists.insert(0, plan.therapist)
    return svc, therapists


def series_booked_text(booked: int, skipped: int) -> str:
    """'1 session booked; 1 date skipped.' — singular and plural right; the skipped part only when some were
    (issue 19 point 9: the page said "1 dates skipped")."""
    text = ngettext("%(n)d session booked", "%(n)d sessions booked", booked) % {"n": booked}
    if skipped:
        text += "; " + ngettext("%(s)d date skipped", "%(s)d dates skipped", skipped) % {"s": skipped}
    return text + "."


def _series_booked(
    request: AuthedHttpRequest,
    client: Client,
    plan: CarePlan,
    result: dict[str, Any],
    therapist_id: int,
    tz: ZoneInfo,
) -> HttpResponse:
    """After booking: say what was booked, then the plan (for clinical staff) or the therapist's week."""
    messages.success(request, series_booked_text(len(result["appointments"]), len(result["skipped"])))
    if result["skipped_dates"]:
        messages.info(request, _("Skipped: %s.") % "; ".join(result["skipped_dates"]))
    for warning in result["warnings"]:
        messages.warning(request, warning)
    if can_see_client(request.user, client):
        return redirect("plans:plan", client_id=client.id, plan_id=plan.id)
    first = result["appointments"][0] if result["appointments"] else None
    week = first.starts_at.astimezone(tz).date().isoformat() if first else ""
    return redirect(f"{reverse('scheduling:week')}?therapist={therapist_id}&week={week}")


@login_required
def book_series(request: AuthedHttpRequest, client_id: int, plan_id: int) -> HttpResponse:
    """Book a plan's course as written (its sessions a week on the chosen weekdays): preview the dates, see
    the ones that cannot be booked (a closure, a taken time) with alternatives, then book."""
    client = selectors.client_get_for_scheduling(request.user, client_id)
    plan = get_object_or_404(CarePlan, pk=plan_id, client=client)
    svc, therapists = _series_choices(client, plan)
    tz = selectors.clinic_tz(client.clinic)
    progress = selectors.plan_progress(plan)
    first_date = timezone.localdate(timezone=tz) + timedelta(days=7)
    initial = {
        "count": max(progress["remaining"], 1),
        "first_date": first_date,
        "local_time": "10:00",
        "weekdays": services.course_weekdays(first_date, plan.sessions_per_week),
    }
    form = SeriesForm(
        request.POST or None,
        initial=initial,
        therapists=therapists,
        services=svc,
        per_week=plan.sessions_per_week,
    )
    preview = None
    status = 200
    if request.method == "POST" and form.is_valid():
        args = {
            "actor": request.user,
            "client": client,
            "plan_id": plan.id,
            **form.cleaned_data,
        }
        try:
            if request.POST.get("action") == "book":
                replacements = _replacements(request.POST)
                result = services.series_book(**args, skip_conflicts=True, replacements=replacements)
                return _series_booked(request, client, plan, result, form.cleaned_data["therapist_id"], tz)
            preview = services.series_preview(**args)
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
            status = 422
        except services.SessionBlockedError as exc:
            form.add_error(None, exc.message_for(request.user))
            status = 409
        except services.BookingConflictError as exc:
            form.add_error(None, str(exc))
            status = 409
    elif request.method == "POST":
        status = 422
    if preview:
        for row in preview["rows"]:
            row["local"] = datetime.fromisoformat(row["local_start"])
            for alt in row["alternatives"]:
                alt["local"] = datetime.fromisoformat(alt["local_start"])
    return render(
        request,
        "scheduling/book_series.html",
        {
            "client": client,
            "plan": plan,
            "form": form,
            "preview": preview,
            "tz": tz.key,
            "progress": progress,
            "clinical": can_see_client(request.user, client),
        },
        status=status,
    )


def _booking_initial(request: AuthedHttpRequest) -> dict[str, str]:
    """What the day view's "Book" link (or a client search's) fills in: therapist, room, date, time, client.
    Only shown as the form's first values: the form validates whatever is posted."""
    keys = {"therapist": "therapist_id", "room": "room_id", "day": "day", "at": "at", "client": "client_id"}
    return {field: request.GET[key][:40] for key, field in keys.items() if request.GET.get(key)}


@login_required
def booking_desk(request: AuthedHttpRequest) -> HttpResponse:
    """The front desk's booking page: one appointment, or a plan's course (with sessions left to book)."""
    require_scheduling(request.user)
    clinic = clinic_of(request.user)
    tz = selectors.clinic_tz(clinic)
    clients = selectors.clients_for_booking(request.user, request.GET.get("q", "").strip())
    therapists = list(Therapist.objects.filter(clinic=clinic, active=True))
    form = BookOneForm(
        request.POST or None,
        initial=_booking_initial(request),
        clients=selectors.clients_for_booking(request.user),
        services=selectors.services_for_clinic(clinic.id),
        therapists=therapists,
        rooms=selectors.rooms_for_clinic(clinic.id),
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            client = selectors.client_get_for_scheduling(request.user, data["client_id"])
            try:
                booking = services.appointment_book(
                    actor=request.user,
                    client=client,
                    therapist_id=data["therapist_id"],
                    service_id=data["service_id"],
                    starts_at=localtime.combine_to_utc(data["day"], data["at"], tz, field="at"),
                    room_id=data.get("room_id"),
                )
            except FieldErrors as exc:
                for key, message in exc.errors.items():
                    form.add_error(key if key in form.fields else None, message)
            except services.BookingConflictError as exc:
                form.add_error(None, str(exc))
                status = 409
            except services.SessionBlockedError as exc:
                form.add_error(None, exc.message_for(request.user))
                status = 409
            else:
                messages.success(request, _("Booked."))
                for warning in booking.warnings:
                    messages.warning(request, warning)
                return redirect(
                    _next(request) or reverse("scheduling:appointment", args=[booking.appointment.id])
                )
    courses = [(c, p) for c in clients for p in c["active_plans"] if p["remaining"] > 0]
    return render(
        request,
        "scheduling/booking_desk.html",
        {
            "form": form,
            "courses": courses,
            "q": request.GET.get("q", ""),
            "tz": tz.key,
            "next": _next(request),
        },
        status=status,
    )
