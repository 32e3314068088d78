"""Pages of the plans app: propose a care plan, see and change it, activate or cancel it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_view
from nervecare.core.pages import run_service
from nervecare.core.permissions import clinic_id_of
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.plans import selectors, services
from nervecare.plans.forms import PlanEditForm


@login_required
@require_POST
def plan_propose(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = client_get_for_user(request.user, client_id)
    done = run_service(request, lambda: services.plan_propose(actor=request.user, client=client))
    if not done.ok or done.value is None:
        return redirect("clients:client", client_id=client.id)
    plan, _proposal = done.value
    return redirect("plans:plan", client_id=client.id, plan_id=plan.id)


@login_required
def plan_detail(request: AuthedHttpRequest, client_id: int, plan_id: int) -> HttpResponse:
    plan = selectors.plan_get_for_user(request.user, client_id, plan_id)
    audit_view(request.user, plan, "Plan viewed")
    therapists = selectors.therapists_for_clinic(clinic_id_of(request.user))
    form = PlanEditForm(request.POST or None, plan=plan, therapists=therapists)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            done = run_service(
                request,
                lambda: services.plan_update(
                    actor=request.user,
                    plan=plan,
                    changes=form.changes(),
                    reason=form.cleaned_data["reason"],
                ),
                form=form,
                success=_("Plan changed."),
            )
            if done.ok:
                return redirect("plans:plan", client_id=client_id, plan_id=plan.id)
        status = 422
    context = selectors.plan_page(request.user, plan) | {"form": form}
    return render(request, "plans/plan_detail.html", context, status=status)


@login_required
@require_POST
def plan_activate(request: AuthedHttpRequest, client_id: int, plan_id: int) -> HttpResponse:
    plan = selectors.plan_get_for_user(request.user, client_id, plan_id)
    try:
        run_service(
            request,
            lambda: services.plan_activate(actor=request.user, plan=plan),
            success=_("Plan activated."),
        )
    except services.PlanBlockedError as exc:
        messages.error(request, str(exc))
    return redirect("plans:plan", client_id=client_id, plan_id=plan_id)


@login_required
@require_POST
def plan_cancel(request: AuthedHttpRequest, client_id: int, plan_id: int) -> HttpResponse:
    plan = selectors.plan_get_for_user(request.user, client_id, plan_id)
    run_service(
        request,
        lambda: services.plan_cancel(actor=request.user, plan=plan, reason=request.POST.get("reason", "")),
        success=_("Plan cancelled."),
    )
    return redirect("plans:plan", client_id=client_id, plan_id=plan_id)
