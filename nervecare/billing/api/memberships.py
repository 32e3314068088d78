"""Memberships: the plans (admins make them; the desk reads them), signing a client up (the first month's
invoice), a membership with its months, ending one; and a visit's check-out state (what the day view's
check-out link opens)."""

from __future__ import annotations

from typing import Any

from ninja import Schema, Status

from nervecare.billing import selectors
from nervecare.billing.api.common import _payments, invoice_out, membership_out, router
from nervecare.billing.models import MembershipPlan
from nervecare.billing.schemas import (
    MembershipIn,
    MembershipOut,
    MembershipPlanIn,
    MembershipPlanOut,
    ReasonIn,
    StartedMembershipOut,
)
from nervecare.billing.services import memberships
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_view
from nervecare.core.request_types import AuthedHttpRequest


def plan_out(plan: MembershipPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "name": plan.name,
        "service_id": plan.service_id,
        "price": plan.price,
        "currency": plan.currency,
        "sessions_per_period": plan.sessions_per_period,
        "rollover": plan.rollover,
        "active": plan.active,
    }


@router.get(
    "/billing/membership-plans",
    response={200: list[MembershipPlanOut], **error_responses()},
    summary="Membership plans: a monthly price for N sessions (the desk and admins)",
)
def list_membership_plans(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    return [plan_out(p) for p in selectors.membership_plans_for_clinic(request.user)]


@router.post(
    "/billing/membership-plans",
    response={201: MembershipPlanOut, **error_responses(*BODY)},
    summary="Make a membership plan (admins)",
)
def create_membership_plan(request: AuthedHttpRequest, payload: MembershipPlanIn) -> Status:
    return Status(201, plan_out(memberships.membership_plan_save(actor=request.user, **payload.model_dump())))


@router.put(
    "/billing/membership-plans/{plan_id}",
    response={200: MembershipPlanOut, **error_responses(404, *BODY)},
    summary="Change a membership plan from the next month invoiced (admins)",
)
def update_membership_plan(
    request: AuthedHttpRequest, plan_id: int, payload: MembershipPlanIn
) -> dict[str, Any]:
    plan = selectors.membership_plan_get_for_user(request.user, plan_id)
    return plan_out(memberships.membership_plan_save(actor=request.user, plan=plan, **payload.model_dump()))


@router.post(
    "/billing/clients/{client_id}/memberships",
    response={201: StartedMembershipOut, **error_responses(404, *BODY)},
    summary="Sign a client up to a membership plan (the first month's invoice when it has begun)",
)
def start_membership(request: AuthedHttpRequest, client_id: int, payload: MembershipIn) -> Status:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    membership, invoice = memberships.membership_start(
        actor=request.user,
        client=client,
        membership_plan_id=payload.membership_plan_id,
        starts_on=payload.starts_on,
        payments=_payments(payload.payments),
    )
    return Status(
        201,
        {"membership": membership_out(membership), "invoice": invoice_out(invoice) if invoice else None},
    )


@router.get(
    "/billing/memberships/{membership_id}",
    response={200: MembershipOut, **error_responses(404)},
    summary="A membership and its months (each a course of sessions)",
)
def get_membership(request: AuthedHttpRequest, membership_id: int) -> dict[str, Any]:
    membership = selectors.membership_get_for_user(request.user, membership_id)
    audit_view(request.user, membership)
    return membership_out(membership)


@router.post(
    "/billing/memberships/{membership_id}/cancel",
    response={200: MembershipOut, **error_responses(404, *BODY)},
    summary="End a membership after the current month (the desk and admins)",
)
def cancel_membership(request: AuthedHttpRequest, membership_id: int, payload: ReasonIn) -> dict[str, Any]:
    membership = selectors.membership_get_for_user(request.user, membership_id)
    return membership_out(
        memberships.membership_cancel(actor=request.user, membership=membership, reason=payload.reason)
    )


class VisitCheckoutOut(Schema):
    appointment_id: int
    client_id: int
    status: str
    invoice_id: int | None
    billable: bool


@router.get(
    "/billing/visits/{appointment_id}/checkout",
    response={200: VisitCheckoutOut, **error_responses(404)},
    summary="A visit's check-out: its client, and its invoice once it has one (the desk and admins)",
)
def visit_checkout(request: AuthedHttpRequest, appointment_id: int) -> dict[str, Any]:
    visit = selectors.checkout_visit_get_for_user(request.user, appointment_id)
    invoice = selectors.invoice_of_visit(visit)
    return {
        "appointment_id": visit.pk,
        "client_id": visit.client_id,
        "status": visit.status,
        "invoice_id": invoice.pk if invoice else None,
        "billable": invoice is None and visit.status in ("checked_in", "completed"),
    }
