"""Session-note pages. Thin: parse a form, call one service or selector, render. HTMX gets the partial."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_list
from nervecare.core.errors import FieldErrors
from nervecare.core.labels import message_with_label
from nervecare.core.pages import render_page_or_partial
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.plans.services import flags_in_force
from nervecare.scheduling.models import Appointment
from nervecare.screening.measures import measure_applies
from nervecare.visits import physical, selectors, services
from nervecare.visits.forms import (
    AdverseEventFollowUpForm,
    AdverseEventForm,
    AmendmentForm,
    AreasForm,
    NoteForm,
    PhysicalMeasureForm,
    amendment_rows,
    area_initial,
    note_rows,
)
from nervecare.visits.models import SessionNote


def _show_errors(errors: dict[str, str], form: Any, areas: Any = None) -> list[str]:
    """Put each service error on the field it names; return the ones no field can show (in the user's words)."""
    leftover = []
    for key, message in errors.items():
        if key.startswith("areas_treated") and areas is not None:
            areas.add_error("areas_treated", message)
            continue
        name = key.removeprefix("changes.")
        if name in form.fields:
            form.add_error(name, message)
        elif name == "changes" and "field" in form.fields:
            form.add_error("field", message)
        else:
            leftover.append(message_with_label(key, message))
    return leftover


def _render_note(
    request: HttpRequest,
    appointment: Appointment,
    *,
    flags: list[dict[str, Any]] | None = None,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    note = selectors.note_for_appointment(appointment)
    if note is not None and note.is_signed:
        flags = note.flags  # what was in force when it was signed
    elif flags is None:
        flags = [selectors.flag_snapshot(f) for f in flags_in_force(appointment.client)]
    template: dict[str, Any] = {}
    if note is None or not note.is_signed:
        template = selectors.note_template(appointment) if note is None else {}
        forms.setdefault(
            "form",
            NoteForm(
                initial=NoteForm.initial_for(note, appointment.service.modality, template),
                ask_falls=measure_applies(appointment.client, "falls"),
            ),
        )
        forms.setdefault(
            "areas",
            AreasForm(
                initial=area_initial(note.areas_treated if note else template.get("areas_treated", []))
            ),
        )
    else:
        forms.setdefault("amendment_form", AmendmentForm())
    if note is not None:
        forms.setdefault("event_form", AdverseEventForm(prefix="event"))
    modality = note.modality if note else appointment.service.modality
    context = {
        "appointment": appointment,
        "client": appointment.client,
        "note": note,
        "flags": flags,
        "stop_flags": [
            f
            for f in flags
            if f["level"] == "stop"
            and f["status"] == "open"
            and (not f["applies_to"] or modality in f["applies_to"])
        ],
        "rows": note_rows(selectors.current_values(note), selectors.amended_fields(note)) if note else [],
        "amendments": amendment_rows(note.amendments.all()) if note else [],
        "follow_up_form": AdverseEventFollowUpForm(),
        "template": template,
        **forms,
    }
    return render_page_or_partial(
        request, "visits/note.html", "visits/partials/note.html", context, status=status
    )


@login_required
def note_page(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_note(request.user, appointment_id)
    if request.method != "POST":
        flags = services.note_open(actor=request.user, appointment=appointment)
        note = selectors.note_for_appointment(appointment)
        if note is not None:
            audit_record(actor=request.user, action="view", obj=note, summary="Session note viewed")
        return _render_note(request, appointment, flags=[selectors.flag_snapshot(f) for f in flags])
    form = NoteForm(request.POST, ask_falls=measure_applies(appointment.client, "falls"))
    areas = AreasForm(request.POST)
    leftover: list[str] = []
    if form.is_valid() and areas.is_valid():
        try:
            services.note_save(
                actor=request.user,
                appointment=appointment,
                data={**form.service_data(), "areas_treated": areas.areas()},
            )
        except FieldErrors as exc:
            leftover = _show_errors(exc.errors, form, areas)
        except services.NoteStateError as exc:
            messages.error(request, str(exc))
            return _render_note(request, appointment, status=409)
        else:
            messages.success(request, _("Note saved (draft)."))
            return redirect("visits:note", appointment_id=appointment.id)
    return _render_note(
        request, appointment, form=form, areas=areas, leftover=leftover, error_summary=True, status=422
    )


@login_required
@require_POST
def note_sign(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_note(request.user, appointment_id)
    note = selectors.note_for_appointment(appointment)
    if note is None:
        messages.error(request, _("Save the note before signing it."))
        return redirect("visits:note", appointment_id=appointment.id)
    try:
        services.note_sign(actor=request.user, note=note)
    except services.NoteStateError as exc:
        messages.error(request, str(exc))
    except FieldErrors as exc:
        messages.error(
            request,
            _("The note was not signed: %(errors)s")
            % {"errors": "; ".join(f"{k}: {v}" for k, v in exc.errors.items())},
        )
    else:
        messages.success(request, _("Note signed. It is now locked; corrections are amendments."))
    return redirect("visits:note", appointment_id=appointment.id)


def _note_and_appointment(request: AuthedHttpRequest, note_id: int) -> tuple[SessionNote, Appointment]:
    note = selectors.note_get_for_user(request.user, note_id)
    return note, selectors.appointment_get_for_note(request.user, note.appointment_id)


@login_required
@require_POST
def amendment_add(request: AuthedHttpRequest, note_id: int) -> HttpResponse:
    note, appointment = _note_and_appointment(request, note_id)
    form = AmendmentForm(request.POST)
    leftover: list[str] = []
    if form.is_valid():
        try:
            services.note_amend(
                actor=request.user,
                note=note,
                reason=form.cleaned_data["reason"],
                changes=form.cleaned_data["changes"],
                text=form.cleaned_data["text"],
            )
        except FieldErrors as exc:
            leftover = _show_errors(exc.errors, form)
        except services.NoteStateError as exc:
            messages.error(request, str(exc))
            return redirect("visits:note", appointment_id=appointment.id)
        else:
            messages.success(request, _("Amendment added; the signed note is kept as it was."))
            return redirect("visits:note", appointment_id=appointment.id)
    return _render_note(request, appointment, amendment_form=form, amendment_leftover=leftover, status=422)


@login_required
@require_POST
def adverse_event_add(request: AuthedHttpRequest, note_id: int) -> HttpResponse:
    note, appointment = _note_and_appointment(request, note_id)
    form = AdverseEventForm(request.POST, prefix="event")
    if form.is_valid():
        try:
            services.adverse_event_add(actor=request.user, note=note, data=form.cleaned_data)
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, _("Adverse event recorded."))
            return redirect("visits:note", appointment_id=appointment.id)
    return _render_note(request, appointment, event_form=form, status=422)


@login_required
@require_POST
def adverse_event_follow_up(request: AuthedHttpRequest, note_id: int, event_id: int) -> HttpResponse:
    event = selectors.adverse_event_get_for_user(request.user, note_id, event_id)
    form = AdverseEventFollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.adverse_event_update(actor=request.user, event=event, data=form.cleaned_data)
        except FieldErrors as exc:
            messages.error(request, "; ".join(f"{k}: {v}" for k, v in exc.errors.items()))
        else:
            messages.success(request, _("Adverse event updated."))
    else:
        messages.error(
            request, "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        )
    return redirect("visits:note", appointment_id=event.note.appointment_id)


@login_required
def review(request: AuthedHttpRequest) -> HttpResponse:
    require_clinical(request.user)
    items = selectors.clients_needing_review(clinic_id_of(request.user), user=request.user)
    audit_list(request.user, Client, [i.client.id for i in items], "Review list viewed")
    context = {"items": items, "rules": selectors.review_rules()}
    return render_page_or_partial(request, "visits/review.html", "visits/partials/review_rows.html", context)


@login_required
def physical_measures(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    """The client's goniometer readings and Timed Up and Go times, and the form to record one."""
    client = client_get_for_user(request.user, client_id)
    offered = physical.kinds_for(client)
    form = PhysicalMeasureForm(request.POST or None, kinds=offered)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                physical.physical_measure_record(actor=request.user, client=client, data=form.cleaned_data)
            except FieldErrors as exc:
                _route_errors(form, exc.errors)
            else:
                messages.success(request, _("Measurement recorded."))
                return redirect("visits:physical_measures", client_id=client.id)
        status = 422
    else:
        audit_record(actor=request.user, action="view", obj=client, summary="Physical measures viewed")
    rows = [physical.physical_measure_as_dict(m) for m in physical.physical_measures_for_client(client)]
    return render(
        request,
        "visits/physical_measures.html",
        {"client": client, "form": form, "rows": rows},
        status=status,
    )


def _route_errors(form: PhysicalMeasureForm, errors: dict[str, str]) -> None:
    for key, message in errors.items():
        if key in form.fields:
            form.add_error(key, message)
        else:
            form.add_error(None, message_with_label(key, message))
