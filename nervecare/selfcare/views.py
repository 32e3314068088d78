"""The therapist's page of a client's home programme (reached from the plan page and the session note)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.pages import errors_to_form
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.selfcare import selectors, services
from nervecare.selfcare.forms import AssignForm, ChangeForm, EndForm


def _field_errors(errors: dict[str, str], prefix: str) -> dict[str, str]:
    """A refused item ("items[1].item_code") is shown on the items field of the form, with its reason."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        name = prefix if key.startswith(f"{prefix}[") else key
        out[name] = f"{out[name]} {message}" if name in out else message
    return out


def _render(request: AuthedHttpRequest, client: Any, status: int = 200, **forms: Any) -> HttpResponse:
    context = selectors.programme_page(request.user, client)
    today = selectors.client_today(client)
    context |= {
        "assign_form": forms.get("assign_form") or AssignForm(initial={"starts_on": today}),
        "change_form": forms.get("change_form") or ChangeForm(),
        "end_form": forms.get("end_form") or EndForm(),
        "came_from": request.GET.get("from", ""),
        "plan_id": request.GET.get("plan", ""),
        "appointment_id": request.GET.get("appointment", ""),
    }
    return render(request, "selfcare/programme.html", context, status=status)


@login_required
def programme(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = client_get_for_user(request.user, client_id)
    if request.method != "POST":
        audit_view(request.user, client, "Home programme page viewed")
        return _render(request, client)
    form = AssignForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.programme_assign(
                actor=request.user,
                client=client,
                items=[services.ItemChoice(code) for code in data["items"]],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
                title=data["programme_title"],
            )
        except FieldErrors as exc:
            errors_to_form(form, _field_errors(exc.errors, "items"))
        else:
            messages.success(request, _("Home programme assigned."))
            return redirect("selfcare:programme", client_id=client.id)
    return _render(request, client, status=422, assign_form=form)


@login_required
@require_POST
def programme_change(request: AuthedHttpRequest, client_id: int, programme_id: int) -> HttpResponse:
    found = selectors.programme_get_for_user(request.user, client_id, programme_id)
    form = ChangeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.programme_update(
                actor=request.user,
                programme=found,
                reason=data["reason"],
                add_items=[services.ItemChoice(code) for code in data["add_items"]],
                remove_items=data["remove_items"],
                ends_on=data["ends_on"],
            )
        except FieldErrors as exc:
            errors_to_form(form, _field_errors(exc.errors, "add_items"))
        else:
            messages.success(request, _("Home programme changed."))
            return redirect("selfcare:programme", client_id=client_id)
    return _render(request, found.client, status=422, change_form=form)


@login_required
@require_POST
def programme_end(request: AuthedHttpRequest, client_id: int, programme_id: int) -> HttpResponse:
    found = selectors.programme_get_for_user(request.user, client_id, programme_id)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.programme_end(actor=request.user, programme=found, reason=form.cleaned_data["reason"])
        except FieldErrors as exc:
            errors_to_form(form, exc.errors)
        else:
            messages.success(request, _("Home programme ended."))
            return redirect("selfcare:programme", client_id=client_id)
    return _render(request, found.client, status=422, end_form=form)
