"""The front desk's pages: the day of every therapist (or room) side by side, the printable day list of one
therapist (and its email), client search and registration with contact details only, and the waitlist.

Everything here is scheduling (core.permissions.require_scheduling): names, contact details and times, never
clinical content. Writes go through the services; views parse, call one, and render.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients.services import client_register
from nervecare.core import localtime
from nervecare.core.bounds import SCHEDULE
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist
from nervecare.core.permissions import clinic_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import day as day_selectors
from nervecare.scheduling import hooks, selectors, services
from nervecare.scheduling.forms import OfferForm, RegisterClientForm, WaitlistForm
from nervecare.scheduling.models import WaitlistEntry


def _day_param(request: AuthedHttpRequest, tz_today: date) -> date:
    """The `date` asked for, or today (clinic local) for anything missing, malformed or out of range."""
    raw = request.GET.get("date", "")
    try:
        day = date.fromisoformat(raw) if raw else tz_today
    except ValueError:
        return tz_today
    return day if SCHEDULE.contains(day) else tz_today


def _int_param(request: AuthedHttpRequest, key: str) -> int | None:
    raw = request.GET.get(key, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@login_required
def day_view(request: AuthedHttpRequest) -> HttpResponse:
    """Every therapist's day side by side (or every room's, ?by=room), with free time to book from and the
    day's actions on each appointment (check in or out, undo; move or cancel on its page)."""
    require_scheduling(request.user)
    clinic = clinic_of(request.user)
    tz = selectors.clinic_tz(clinic)
    today = timezone.localdate(timezone=tz)
    day = _day_param(request, today)
    by = "room" if request.GET.get("by") == "room" else "therapist"
    schedule = day_selectors.day_schedule(clinic, day, by=by)
    here = f"{reverse('scheduling:day')}?{urlencode({'date': day.isoformat(), 'by': by})}"
    for column in schedule["columns"]:
        for free in column.free:
            params = {
                "day": day.isoformat(),
                "at": free["local_start"].strftime("%H:%M"),
                "next": here,
                ("room" if by == "room" else "therapist"): column.id,
            }
            free["book_url"] = f"{reverse('scheduling:book')}?{urlencode(params)}"
        for block in column.blocks:
            # What follows a check-out (billing's page for the visit), registered from above scheduling.
            block["links"] = hooks.check_out_links(request.user, block["appointment"])
    return render(
        request,
        "scheduling/day.html",
        {
            **schedule,
            "today": day == today,
            "is_today": today,
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "here": here,
            "therapists": Therapist.objects.filter(clinic=clinic, active=True),
        },
    )


@login_required
def day_list(request: AuthedHttpRequest) -> HttpResponse:
    """One therapist's day as a list to print (print styles hide the rest of the page) or email."""
    require_scheduling(request.user)
    clinic = clinic_of(request.user)
    tz = selectors.clinic_tz(clinic)
    day = _day_param(request, timezone.localdate(timezone=tz))
    therapist_id = _int_param(request, "therapist")
    therapists = list(Therapist.objects.filter(clinic=clinic, active=True))
    if therapist_id is None:
        own = getattr(request.user, "therapist", None)
        therapist_id = own.id if own else (therapists[0].id if therapists else None)
    therapist = get_object_or_404(Therapist, pk=therapist_id, clinic=clinic) if therapist_id else None
    return render(
        request,
        "scheduling/day_list.html",
        {
            "therapist": therapist,
            "therapists": therapists,
            "day": day,
            "tz": tz.key,
            "clinic": clinic,
            "rows": day_selectors.day_list(therapist, day) if therapist else [],
        },
    )


@login_required
@require_POST
def day_list_email(request: AuthedHttpRequest) -> HttpResponse:
    require_scheduling(request.user)
    raw_therapist = request.POST.get("therapist", "")
    raw_day = request.POST.get("date", "")
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        day = None
    if not raw_therapist.isdigit() or len(raw_therapist) > 9 or day is None or not SCHEDULE.contains(day):
        messages.error(request, _("Choose a therapist and a date."))
        return redirect("scheduling:day_list")
    try:
        address = services.day_list_email(actor=request.user, therapist_id=int(raw_therapist), day=day)
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(request, _("The day list is on its way to %(address)s.") % {"address": address})
    return redirect(
        f"{reverse('scheduling:day_list')}?{urlencode({'therapist': raw_therapist, 'date': day})}"
    )


@login_required
def client_search(request: AuthedHttpRequest) -> HttpResponse:
    """Find a client by name, email or phone: contact details and what to do next (book, waitlist)."""
    require_scheduling(request.user)
    q = request.GET.get("q", "").strip()[:100]
    rows = selectors.client_contacts(request.user, q) if q else []
    tz = selectors.clinic_tz(clinic_of(request.user))
    return render(request, "scheduling/desk_clients.html", {"q": q, "rows": rows, "tz": tz.key})


@login_required
def client_new(request: AuthedHttpRequest) -> HttpResponse:
    """Register a new client with contact details only; the portal invites them to complete the intake."""
    require_scheduling(request.user)
    form = RegisterClientForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                client, notes = client_register(actor=request.user, data=form.cleaned_data)
            except FieldErrors as exc:
                for key, message in exc.errors.items():
                    form.add_error(key if key in form.fields else None, message)
            else:
                messages.success(request, _("%(name)s is registered.") % {"name": client.full_name})
                for note in notes:
                    messages.info(request, note)
                return redirect(f"{reverse('scheduling:book')}?{urlencode({'client': client.id})}")
    return render(request, "scheduling/desk_client_new.html", {"form": form}, status=status)


def _waitlist_form(request: AuthedHttpRequest, data: Any = None) -> WaitlistForm:
    clinic = clinic_of(request.user)
    initial = {}
    client_id = _int_param(request, "client")
    if client_id:
        initial["client_id"] = client_id
    return WaitlistForm(
        data,
        initial=initial,
        clients=selectors.clients_for_booking(request.user),
        services=selectors.services_for_clinic(clinic.id),
        therapists=Therapist.objects.filter(clinic=clinic, active=True),
    )


@login_required
def waitlist(request: AuthedHttpRequest) -> HttpResponse:
    """The waitlist: add a client, see the free times that match each entry, offer one, book the offer."""
    require_scheduling(request.user)
    clinic = clinic_of(request.user)
    tz = selectors.clinic_tz(clinic)
    form = _waitlist_form(request, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                client = selectors.client_get_for_scheduling(request.user, data["client_id"])
                services.waitlist_add(
                    actor=request.user,
                    client=client,
                    service_id=data["service_id"],
                    therapist_id=data["therapist_id"],
                    earliest=localtime.boundary_to_utc(data["earliest"], time(0), tz),
                    latest=localtime.boundary_to_utc(data["latest"] + timedelta(days=1), time(0), tz),
                    note=data["note"],
                )
            except FieldErrors as exc:
                for key, message in exc.errors.items():
                    form.add_error(key if key in form.fields else None, message)
            else:
                messages.success(request, _("%(name)s is on the waitlist.") % {"name": client.full_name})
                return redirect("scheduling:waitlist")
    entries = day_selectors.waitlist_entries(clinic.id)
    rows = [
        {
            "entry": e,
            "earliest": e.earliest.astimezone(tz),
            "latest": e.latest.astimezone(tz),
            "offered": e.offered_appointment_start.astimezone(tz) if e.offered_appointment_start else None,
            "matches": day_selectors.waitlist_matches(e) if e.status == WaitlistEntry.Status.WAITING else [],
        }
        for e in entries
    ]
    return render(
        request, "scheduling/waitlist.html", {"form": form, "rows": rows, "tz": tz.key}, status=status
    )


WAITLIST_ACTIONS = {"offer", "book", "withdraw"}


@login_required
@require_POST
def waitlist_action(request: AuthedHttpRequest, entry_id: int, action: str) -> HttpResponse:
    require_scheduling(request.user)
    if action not in WAITLIST_ACTIONS:
        raise Http404("No such action.")
    clinic = clinic_of(request.user)
    entry = get_object_or_404(WaitlistEntry, pk=entry_id, client__clinic_id=clinic.id)
    try:
        if action == "offer":
            form = OfferForm(request.POST)
            if not form.is_valid():
                raise FieldErrors({"starts_at": _("Choose one of the matching times.")})
            services.waitlist_offer(
                actor=request.user,
                entry=entry,
                therapist_id=form.cleaned_data["therapist_id"],
                starts_at=form.cleaned_data["starts_at"],
            )
            messages.success(request, _("Offered. Book it once the client says yes."))
        elif action == "book":
            booking = services.waitlist_accept(actor=request.user, entry=entry)
            messages.success(request, _("Booked from the waitlist."))
            for warning in booking.warnings:
                messages.warning(request, warning)
        else:
            services.waitlist_withdraw(actor=request.user, entry=entry)
            messages.success(request, _("Taken off the waitlist."))
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    except services.BookingConflictError as exc:
        messages.error(
            request, _("That time is no longer free: %(why)s") % {"why": "; ".join(exc.errors.values())}
        )
    except services.SessionBlockedError as exc:
        messages.error(request, exc.message_for(request.user))
    return redirect("scheduling:waitlist")
