"""Staff pages. Thin: parse a form, call one service or selector, render. HTMX requests get partials."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients import bodymap, selectors
from nervecare.clients import services as client_services
from nervecare.clients.forms import MarkFormSet, marks_from_formset
from nervecare.clients.models import Client, Condition, MedicalContext
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.formatting import score as score_text
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.plans import services as plan_services
from nervecare.plans.models import CarePlan
from nervecare.plans.selectors import plans_for_client, therapists_for_clinic
from nervecare.scheduling.selectors import plan_progress
from nervecare.screening import instruments
from nervecare.screening import services as screening_services
from nervecare.screening.forms import instrument_form_fields
from nervecare.screening.models import SafetyFlag
from nervecare.screening.safety import ruleset
from nervecare.screening.selectors import latest_responses, open_flags
from nervecare.web import dashboard as dashboard_selectors
from nervecare.web.forms import (
    ClearanceForm,
    ClientFilterForm,
    ClientForm,
    ConditionForm,
    ConsentForm,
    MedicalForm,
    PlanEditForm,
)

MARK_KEY = re.compile(r"^(?:body_map|marks)\[(\d+)\]\.(\w+)$")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


class _DryRun(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Rolls back a validation-only pass of a service."""


def _route_errors(
    errors: dict[str, str], targets: dict[str, object], formset=None, only_new: bool = False
) -> list[str]:
    """Put each service error on the form field it names; return the ones no field can show.

    only_new: skip fields the form already marked (the service then only repeats "missing" for them)."""
    leftover = []
    for key, message in errors.items():
        mark = MARK_KEY.match(key)
        if mark and formset is not None and int(mark.group(1)) < len(formset.forms):
            formset.forms[int(mark.group(1))].add_error(None, f"{mark.group(2)}: {message}")
            continue
        prefix, _sep, field = key.rpartition(".")
        prefix = re.sub(r"\[\d+\]$", "", prefix)
        form = targets.get(prefix)
        if form is not None and field in form.fields:
            if only_new and field in form.errors:
                continue
            form.add_error(field, message)
        else:
            leftover.append(f"{key}: {message}")
    return leftover


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where the day starts: clinical staff see today's work; the front desk its calendar; a client the portal."""
    user = request.user
    if user.role == "client":
        return redirect("portal:home")
    if not user.is_clinical:
        return redirect("scheduling:week")  # the front desk works from the calendar, not clinical records
    context = dashboard_selectors.dashboard(user)
    audit_list(user, Client, dashboard_selectors.dashboard_client_ids(context), request, "Dashboard viewed")
    return render(request, "web/dashboard.html", context)


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_clinical and request.user.role == "front_desk":
        return redirect("scheduling:week")  # the front desk works from the calendar, not clinical records
    form = ClientFilterForm(request.GET or None, therapists=therapists_for_clinic(request.user.clinic_id))
    filters = form.cleaned_data if form.is_valid() else {}
    clients = selectors.client_list_for_user(
        request.user,
        search=filters.get("q", ""),
        neuropathy_type=filters.get("type", ""),
        cause=filters.get("cause", ""),
    )
    clients = dashboard_selectors.client_list_filter(
        clients, therapist_id=filters.get("therapist"), plan_status=filters.get("plan_status", "")
    )
    audit_list(request.user, Client, [c.id for c in clients], request, "Clients listed")
    context = {"clients": clients, "form": form}
    if _is_htmx(request):
        return render(request, "web/partials/client_rows.html", context)
    return render(request, "web/client_list.html", context)


@login_required
def client_new(request: HttpRequest) -> HttpResponse:
    require_clinical(request.user)
    clinic_id = request.user.clinic_id
    therapists = therapists_for_clinic(clinic_id)
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
                client = client_services.intake_create(
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
                    request=request,
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
            return redirect("web:client", client_id=client.id)
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
    return render(request, "web/client_new.html", context, status=422 if request.method == "POST" else 200)


@login_required
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Record viewed", request=request)
    latest_map, previous_map = selectors.body_map_latest_two(client)
    first_map = client.body_maps.order_by("recorded_at", "id").first() if previous_map else None
    context = {
        "client": client,
        "conditions": client.conditions.all(),
        "medical": MedicalContext.objects.filter(client=client).first(),
        "flags": open_flags(client),
        "resolved_flags": client.flags.filter(status=SafetyFlag.Status.RESOLVED)[:10],
        "responses": client.responses.all()[:30],
        "latest": latest_responses(client),
        "plans": plans_for_client(client),
        "body_map": latest_map,
        "body_map_marks": latest_map.marks.all() if latest_map else [],
        "comparison": selectors.body_map_comparison(client),
        "regions": bodymap.regions(),
        "sensations": bodymap.sensations(),
        "instruments": instruments.all_definitions().values(),
        "clearance_form": ClearanceForm(),
        "consents": client.consents.select_related("text"),
        "first_map": first_map,
        "first_map_marks": first_map.marks.all() if first_map else [],
        "upcoming": client.appointments.filter(starts_at__gte=timezone.now())
        .exclude(status="cancelled")
        .select_related("therapist")
        .order_by("starts_at")[:5],
        "past": client.appointments.filter(starts_at__lt=timezone.now())
        .select_related("therapist", "note")
        .order_by("-starts_at")[:10],
    }
    return render(request, "web/client_detail.html", context)


@login_required
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_view(request.user, client, request, "Record edit page viewed")
    form = ClientForm(request.POST or None, initial={f: getattr(client, f) for f in ClientForm.Meta.fields})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if getattr(client, k) != v}
        try:
            client_services.client_update(actor=request.user, client=client, data=data, request=request)
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, _("Details saved."))
            return redirect("web:client", client_id=client.id)
    return render(
        request,
        "web/form_page.html",
        {"client": client, "form": form, "title": _("Client details")},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def condition_form(request: HttpRequest, client_id: int, condition_id: int | None = None) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    condition = get_object_or_404(Condition, pk=condition_id, client=client) if condition_id else None
    audit_view(
        request.user, condition or client, request, "Condition viewed" if condition else "Record viewed"
    )
    initial = {f: getattr(condition, f) for f in ConditionForm.Meta.fields} if condition else None
    form = ConditionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ConditionForm.Meta.fields}
        try:
            if condition is None:
                client_services.condition_add(actor=request.user, client=client, data=data, request=request)
            else:
                data = {k: v for k, v in data.items() if getattr(condition, k) != v}
                client_services.condition_update(
                    actor=request.user, condition=condition, data=data, request=request
                )
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, _("Neuropathy saved; safety check run again."))
            return redirect("web:client", client_id=client.id)
    title = _("Change the neuropathy") if condition else _("Add a neuropathy")
    return render(
        request,
        "web/form_page.html",
        {"client": client, "form": form, "title": title},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def client_history(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="History viewed", request=request)
    return render(request, "web/history.html", {"client": client, "rows": selectors.client_history(client)})


@login_required
def client_edit_medical(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    medical, _created = MedicalContext.objects.get_or_create(client=client)
    audit_view(request.user, medical, request, "Medical context viewed")
    form = MedicalForm(request.POST or None, instance=medical, prefix="medical")
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        form.instance.refresh_from_db()  # the service applies the change, not the ModelForm
        try:
            client_services.medical_context_update(
                actor=request.user, client=client, data=data, request=request
            )
        except FieldErrors as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, _("Medical context saved; safety check run again."))
            return redirect("web:client", client_id=client.id)
    return render(
        request,
        "web/medical_edit.html",
        {"client": client, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def body_map_new(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    audit_view(request.user, client, request, "Body map page viewed")
    marks = MarkFormSet(request.POST or None, prefix="marks")
    leftover: list[str] = []
    if request.method == "POST" and marks.is_valid():
        try:
            client_services.body_map_record(
                actor=request.user,
                client=client,
                marks=marks_from_formset(marks),
                context="visit",
                request=request,
            )
        except FieldErrors as exc:
            leftover = _route_errors(exc.errors, {}, marks)
        else:
            messages.success(request, _("Body map recorded."))
            return redirect("web:client", client_id=client.id)
    return render(
        request,
        "web/body_map_new.html",
        {"client": client, "marks": marks, "leftover": leftover},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def screening_new(request: HttpRequest, client_id: int, code: str) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    definition = instruments.all_definitions().get(code)
    if definition is None:
        raise Http404("No such instrument.")
    audit_view(request.user, client, request, f"Screening page viewed ({code})")
    errors: dict[str, str] = {}
    given: dict[str, str] = {}
    if request.method == "POST":
        given = {item.id: request.POST.get(f"item_{item.id}", "") for item in definition.items}
        try:
            response = screening_services.response_create(
                actor=request.user,
                client=client,
                instrument=code,
                answers=given,
                context=request.POST.get("context", "intake"),
                request=request,
            )
        except FieldErrors as exc:
            errors = {k.removeprefix("answers."): v for k, v in exc.errors.items()}
        else:
            messages.success(
                request,
                _("%(title)s scored: %(total)s of %(max)s — %(summary)s")
                % {
                    "title": definition.short_title,
                    "total": score_text(response.total),
                    "max": score_text(response.max_total),
                    "summary": response.interpretation["summary"],
                },
            )
            return redirect("web:client", client_id=client.id)
    items = instrument_form_fields(definition)
    for item in items:
        item["error"] = errors.get(item["id"])
        item["given"] = given.get(item["id"], "")
    return render(
        request,
        "web/screening_new.html",
        {
            "client": client,
            "definition": definition,
            "items": items,
            "errors": errors,
            "sections": {s.id: s for s in definition.sections},
        },
        status=422 if errors else 200,
    )


@login_required
@require_POST
def safety_check(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    flags = screening_services.safety_check_run(actor=request.user, client=client, request=request)
    if _is_htmx(request):
        return render(
            request,
            "web/partials/flags.html",
            {"client": client, "flags": flags, "clearance_form": ClearanceForm()},
        )
    messages.success(request, _("Safety check run: %(n)d open flag(s).") % {"n": len(flags)})
    return redirect("web:client", client_id=client.id)


@login_required
@require_POST
def flag_clearance(request: HttpRequest, client_id: int, flag_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    flag = get_object_or_404(SafetyFlag, pk=flag_id, client=client)
    form = ClearanceForm(request.POST)
    if form.is_valid():
        try:
            screening_services.flag_record_clearance(
                actor=request.user,
                flag=flag,
                clinician=form.cleaned_data["clinician"],
                clearance_date=form.cleaned_data["clearance_date"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except FieldErrors as exc:
            messages.error(request, "; ".join(exc.errors.values()))
        else:
            messages.success(request, _("Clearance recorded."))
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    return redirect("web:client", client_id=client.id)


@login_required
@require_POST
def plan_propose(request: HttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, client_id)
    try:
        plan, _proposal = plan_services.plan_propose(actor=request.user, client=client, request=request)
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
        return redirect("web:client", client_id=client.id)
    return redirect("web:plan", client_id=client.id, plan_id=plan.id)


def _plan_or_404(request: HttpRequest, client_id: int, plan_id: int) -> CarePlan:
    client = selectors.client_get_for_user(request.user, client_id)
    return get_object_or_404(
        CarePlan.objects.select_related("therapist", "client"), pk=plan_id, client=client
    )


@login_required
def plan_detail(request: HttpRequest, client_id: int, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, client_id, plan_id)
    audit_view(request.user, plan, request, "Plan viewed")
    therapists = therapists_for_clinic(request.user.clinic_id)
    form = PlanEditForm(request.POST or None, plan=plan, therapists=therapists)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                plan_services.plan_update(
                    actor=request.user,
                    plan=plan,
                    changes=form.changes(),
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except FieldErrors as exc:
                for key, message in exc.errors.items():
                    form.add_error(key if key in form.fields else None, message)
            else:
                messages.success(request, _("Plan changed."))
                return redirect("web:plan", client_id=client_id, plan_id=plan.id)
        status = 422
    flags = open_flags(plan.client)
    recommendation = plan_services.plan_recommendation(plan.client, flags)
    return render(
        request,
        "web/plan_detail.html",
        {
            "plan": plan,
            "client": plan.client,
            "form": form,
            "flags": flags,
            "blocking": [
                f
                for f in flags
                if f.level in ("stop", "clearance") and (not f.applies_to or plan.modality in f.applies_to)
            ],
            "ranking": recommendation["therapist_ranking"],
            "progress": plan_progress(plan),
            "changes": plan.changes.select_related("changed_by"),
        },
        status=status,
    )


@login_required
@require_POST
def plan_activate(request: HttpRequest, client_id: int, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, client_id, plan_id)
    try:
        plan_services.plan_activate(actor=request.user, plan=plan, request=request)
    except plan_services.PlanBlockedError as exc:
        messages.error(request, str(exc))
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(request, _("Plan activated."))
    return redirect("web:plan", client_id=client_id, plan_id=plan_id)


@login_required
@require_POST
def plan_cancel(request: HttpRequest, client_id: int, plan_id: int) -> HttpResponse:
    plan = _plan_or_404(request, client_id, plan_id)
    try:
        plan_services.plan_cancel(
            actor=request.user, plan=plan, reason=request.POST.get("reason", ""), request=request
        )
    except FieldErrors as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    else:
        messages.success(request, _("Plan cancelled."))
    return redirect("web:plan", client_id=client_id, plan_id=plan_id)


@login_required
def instrument_list(request: HttpRequest) -> HttpResponse:
    require_clinical(request.user)
    return render(
        request,
        "web/instruments.html",
        {"definitions": instruments.all_definitions().values(), "rules": ruleset().rules},
    )
