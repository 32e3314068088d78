"""Pages of the clients app: the client list, intake, the record page and its edits, sharing.

Thin: parse a form, call one service or selector, render. HTMX requests get partials (core/pages.py)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients import selectors, services
from nervecare.clients.forms import (
    ClientFilterForm,
    ClientForm,
    ConditionForm,
    ConsentForm,
    MarkFormSet,
    MedicalForm,
    marks_from_formset,
)
from nervecare.clients.models import Client, Condition, MedicalContext
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.labels import message_with_label
from nervecare.core.pages import render_page_or_partial, run_service
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record

MARK_KEY = re.compile(r"^(?:body_map|marks)\[(\d+)\]\.(\w+)$")


class _DryRun(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Rolls back a validation-only pass of a service."""


def _route_errors(
    errors: dict[str, str], targets: dict[str, BaseForm], formset=None, only_new: bool = False
) -> list[str]:
    """Put each service error on the form field it names; return the ones no field can show.

    only_new: skip fields the form already marked (the service then only repeats "missing" for them)."""
    leftover = []
    for key, message in errors.items():
        mark = MARK_KEY.match(key)
        if mark and formset is not None and int(mark.group(1)) < len(formset.forms):
            # Beside the field of that row ("Sole needs a side" under the row's side), not as "side: ...".
            row = formset.forms[int(mark.group(1))]
            row.add_error(mark.group(2) if mark.group(2) in row.fields else None, message)
            continue
        prefix, _sep, field = key.rpartition(".")
        prefix = re.sub(r"\[\d+\]$", "", prefix)
        form = targets.get(prefix)
        if form is not None and field in form.fields:
            if only_new and field in form.errors:
                continue
            form.add_error(field, message)
        else:
            leftover.append(message_with_label(key, message))
    return leftover


@login_required
def client_list(request: AuthedHttpRequest) -> HttpResponse:
    if not request.user.is_clinical and request.user.role == "front_desk":
        return redirect("scheduling:desk_clients")  # the desk's search: contact details only
    form = ClientFilterForm(
        request.GET or None, therapists=selectors.therapists_for_clinic(clinic_id_of(request.user))
    )
    clients = selectors.client_list_page(request.user, form.cleaned_data if form.is_valid() else {})
    audit_list(request.user, Client, [c.id for c in clients], "Clients listed")
    return render_page_or_partial(
        request,
        "clients/client_list.html",
        "clients/partials/client_rows.html",
        {"clients": clients, "form": form},
    )


@login_required
def client_new(request: AuthedHttpRequest) -> HttpResponse:
    require_clinical(request.user)
    clinic_id = clinic_id_of(request.user)
    therapists = selectors.therapists_for_clinic(clinic_id)
    if request.method == "POST":
        client_form = ClientForm(request.POST, prefix="client")
        condition_form = ConditionForm(request.POST, prefix="condition")
        medical_form = MedicalForm(request.POST, prefix="medical")
        marks = MarkFormSet(request.POST, prefix="marks")
        consent_form = ConsentForm(request.POST, prefix="consent", clinic_id=clinic_id)
        # Validate every form (no short-circuit), so each one shows its errors at once.
        validity = [f.is_valid() for f in (client_form, condition_form, medical_form, marks, consent_form)]
        forms_ok = all(validity)
        leftover: list[str] = []
        consent = None
        consent_data = getattr(consent_form, "cleaned_data", {})
        if consent_data.get("given") and consent_data.get("version"):
            consent = {"version": consent_data["version"].version, "method": consent_data.get("method")}
        therapist_id = request.POST.get("primary_therapist") or None
        try:
            # With every form valid this saves; otherwise it runs in a transaction that is rolled back, only
            # to show the clinical checks' messages together with the forms' own (one round of corrections).
            with transaction.atomic():
                client = services.intake_create(
                    actor=request.user,
                    client={
                        k: v for k, v in client_form.cleaned_data.items() if k in client_form.Meta.fields
                    },
                    conditions=[
                        {
                            k: v
                            for k, v in condition_form.cleaned_data.items()
                            if k in condition_form.Meta.fields
                        }
                    ],
                    medical=medical_form.service_data() if medical_form.is_valid() else {},
                    body_map=marks_from_formset(marks) if marks.is_valid() else [],
                    consent=consent,
                    primary_therapist_id=int(therapist_id)
                    if therapist_id and therapist_id.isdigit()
                    else None,
                )
                if not forms_ok:
                    raise _DryRun
        except _DryRun:
            pass
        except FieldErrors as exc:
            leftover = _route_errors(
                exc.errors,
                {
                    "client": client_form,
                    "conditions": condition_form,
                    "medical": medical_form,
                    "consent": consent_form,
                },
                marks,
                only_new=True,
            )
        else:
            messages.success(request, _("Intake saved for %(name)s.") % {"name": client.full_name})
            return redirect("clients:client", client_id=client.id)
        context = {"error_summary": True, "leftover": leftover}
    else:
        client_form = ClientForm(prefix="client")
        condition_form = ConditionForm(prefix="condition")
        medical_form = MedicalForm(prefix="medical")
        marks = MarkFormSet(prefix="marks")
        consent_form = ConsentForm(prefix="consent", clinic_id=clinic_id)
        context = {}
    context |= {
        "client_form": client_form,
        "condition_form": condition_form,
        "medical_form": medical_form,
        "marks": marks,
        "consent_form": consent_form,
        "therapists": therapists,
    }
    return render(
        request, "clients/client_new.html", context, status=422 if request.method == "POST" else 200
    )


@login_required
def client_detail(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    """The client's record: one card per part of it, each from the app that owns that part."""
    context = selectors.client_record_page(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=context["client"], summary="Record viewed")
    return render(request, "clients/client_detail.html", context)


@login_required
def client_edit(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_view(request.user, client, "Record edit page viewed")
    form = ClientForm(request.POST or None, initial={f: getattr(client, f) for f in ClientForm.Meta.fields})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if getattr(client, k) != v}
        done = run_service(
            request,
            lambda: services.client_update(actor=request.user, client=client, data=data),
            form=form,
            success=_("Details saved."),
        )
        if done.ok:
            return redirect("clients:client", client_id=client.id)
    return render(
        request,
        "clients/form_page.html",
        {"client": client, "form": form, "title": _("Client details")},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def condition_form(
    request: AuthedHttpRequest, client_id: int, condition_id: int | None = None
) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    condition = get_object_or_404(Condition, pk=condition_id, client=client) if condition_id else None
    audit_view(request.user, condition or client, "Condition viewed" if condition else "Record viewed")
    initial = {f: getattr(condition, f) for f in ConditionForm.Meta.fields} if condition else None
    form = ConditionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ConditionForm.Meta.fields}
        if condition is None:
            done = run_service(
                request,
                lambda: services.condition_add(actor=request.user, client=client, data=data),
                form=form,
                success=_("Neuropathy saved; safety check run again."),
            )
        else:
            changed = {k: v for k, v in data.items() if getattr(condition, k) != v}
            done = run_service(
                request,
                lambda: services.condition_update(actor=request.user, condition=condition, data=changed),
                form=form,
                success=_("Neuropathy saved; safety check run again."),
            )
        if done.ok:
            return redirect("clients:client", client_id=client.id)
    title = _("Change the neuropathy") if condition else _("Add a neuropathy")
    return render(
        request,
        "clients/form_page.html",
        {"client": client, "form": form, "title": title},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def client_history(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="History viewed")
    return render(
        request, "clients/history.html", {"client": client, "rows": selectors.client_history(client)}
    )


@login_required
def client_edit_medical(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    medical, _created = MedicalContext.objects.get_or_create(client=client)
    audit_view(request.user, medical, "Medical context viewed")
    form = MedicalForm(request.POST or None, instance=medical, prefix="medical")
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        form.instance.refresh_from_db()  # the service applies the change, not the ModelForm
        done = run_service(
            request,
            lambda: services.medical_context_update(actor=request.user, client=client, data=data),
            form=form,
            success=_("Medical context saved; safety check run again."),
        )
        if done.ok:
            return redirect("clients:client", client_id=client.id)
    return render(
        request,
        "clients/medical_edit.html",
        {"client": client, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def body_map_new(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_view(request.user, client, "Body map page viewed")
    marks = MarkFormSet(request.POST or None, prefix="marks")
    leftover: list[str] = []
    if request.method == "POST" and marks.is_valid():
        try:
            services.body_map_record(
                actor=request.user,
                client=client,
                marks=marks_from_formset(marks),
                context="visit",
            )
        except FieldErrors as exc:
            leftover = _route_errors(exc.errors, {}, marks)
        else:
            messages.success(request, _("Body map recorded."))
            return redirect("clients:client", client_id=client.id)
    return render(
        request,
        "clients/body_map_new.html",
        {"client": client, "marks": marks, "leftover": leftover},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def share_add(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    try:
        done = run_service(
            request,
            lambda: services.client_share(
                actor=request.user,
                client=client,
                therapist_id=request.POST.get("therapist_id"),
                reason=request.POST.get("reason", ""),
            ),
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        if done.ok and done.value is not None:
            messages.success(
                request, _("Shared with %(name)s.") % {"name": done.value.therapist.display_name}
            )
    return redirect("clients:client", client_id=client.id)


@login_required
@require_POST
def share_remove(request: AuthedHttpRequest, client_id: int, therapist_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    try:
        services.client_unshare(actor=request.user, client=client, therapist_id=therapist_id)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("No longer shared."))
    return redirect("clients:client", client_id=client.id)
