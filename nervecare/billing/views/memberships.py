"""Membership pages: the plans (admins make them, the desk reads them), signing a client up from their
account, and ending a membership."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from nervecare.billing import selectors
from nervecare.billing.forms import MembershipForm, MembershipPlanForm, ReasonForm
from nervecare.billing.services import memberships
from nervecare.billing.views.common import form_errors, payments_from
from nervecare.billing.views.desk import account_page
from nervecare.core.errors import FieldErrors
from nervecare.core.pages import run_service
from nervecare.core.permissions import clinic_of, require_billing_admin
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling.models import Service


@login_required
def plan_list(request: AuthedHttpRequest) -> HttpResponse:
    plans = selectors.membership_plans_for_clinic(request.user)
    services = Service.objects.filter(clinic=clinic_of(request.user), active=True)
    form = MembershipPlanForm(services=services)
    status = 200
    if request.method == "POST":
        require_billing_admin(request.user)
        form = MembershipPlanForm(request.POST, services=services)
        if form.is_valid():
            result = run_service(
                request,
                lambda: memberships.membership_plan_save(actor=request.user, **form.cleaned_data),
                form=form,
                success="Membership plan saved.",
            )
            if result.ok:
                return redirect("billing:membership_plans")
        status = 422
    return render(
        request,
        "billing/membership_plans.html",
        {"plans": plans, "form": form, "is_admin": request.user.role == request.user.Role.ADMIN},
        status=status,
    )


@login_required
@require_POST
def membership_start(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    form = MembershipForm(
        request.POST, plans=selectors.membership_plans_for_clinic(request.user).filter(active=True)
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            _membership, invoice = memberships.membership_start(
                actor=request.user,
                client=client,
                membership_plan_id=data["membership_plan_id"],
                starts_on=data.get("starts_on"),
                payments=payments_from(data),
            )
        except FieldErrors as exc:
            form_errors(form, exc.errors)
        else:
            if invoice is not None:
                return redirect("billing:invoice", invoice_id=invoice.pk)
            return redirect("billing:client", client_id=client.pk)
    return account_page(request, client, membership_form=form)


@login_required
@require_POST
def membership_cancel(request: AuthedHttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get_for_user(request.user, membership_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    run_service(
        request,
        lambda: memberships.membership_cancel(actor=request.user, membership=membership, reason=reason),
        success="Membership ended: no month after this one is invoiced.",
    )
    return redirect("billing:client", client_id=membership.client_id)
