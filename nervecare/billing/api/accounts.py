"""A client's account, courses and fees, and the superbill (clinical: it carries diagnoses)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Query, Status

from nervecare.billing import selectors
from nervecare.billing.api.common import (
    _PDF,
    PeriodQuery,
    _payments,
    _period,
    course_out,
    gift_card_out,
    invoice_out,
    invoice_summary,
    membership_out,
    router,
)
from nervecare.billing.models import Fee
from nervecare.billing.schemas import (
    AccountOut,
    CourseIn,
    CourseOut,
    FeeOut,
    InvoiceOut,
    ReasonIn,
    SoldCourseOut,
    TransferIn,
)
from nervecare.billing.services import courses, fees, invoices
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_view
from nervecare.core.pages import pdf_download
from nervecare.core.permissions import (
    require_billing,
    require_billing_admin,
    require_clinical,
)
from nervecare.core.request_types import AuthedHttpRequest

# --- a client's account, courses and fees ----------------------------------------------------------------


@router.get(
    "/billing/clients/{client_id}/account",
    response={200: AccountOut, **error_responses(404)},
    summary="A client's balance, invoices, payments, courses and fees",
)
def client_account(request: AuthedHttpRequest, client_id: int) -> dict[str, Any]:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    audit_view(request.user, client, summary="Money account viewed")
    account = selectors.client_account(client)
    return {
        "client_id": client.pk,
        "currency": client.clinic.currency,
        "balance": account["balance"],
        "invoices": [invoice_summary(i) for i in account["invoices"]],
        "payments": account["payments"],
        "courses": [course_out(c) for c in account["courses"]],
        "fees": account["fees"],
        "gift_cards": [gift_card_out(g) for g in account["gift_cards"]],
        "memberships": [membership_out(m) for m in account["memberships"]],
    }


@router.post(
    "/billing/clients/{client_id}/courses",
    response={201: SoldCourseOut, **error_responses(404, *BODY)},
    summary="Sell a course of sessions paid up front",
)
def sell_course(request: AuthedHttpRequest, client_id: int, payload: CourseIn) -> Status:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    data = payload.model_dump()
    data["payments"] = _payments(payload.payments)
    course, invoice = courses.course_sell(actor=request.user, client=client, **data)
    return Status(201, {"course": course_out(course), "invoice": invoice_out(invoice)})


@router.get(
    "/billing/courses/{course_id}",
    response={200: CourseOut, **error_responses(404)},
    summary="A course and the sessions left (desk, admins, the client's therapists)",
)
def get_course(request: AuthedHttpRequest, course_id: int) -> dict[str, Any]:
    course = selectors.course_get_for_user(request.user, course_id)
    audit_view(request.user, course)
    return course_out(course)


@router.post(
    "/billing/courses/{course_id}/transfer",
    response={200: CourseOut, **error_responses(404, *BODY)},
    summary="Give the sessions left to another client of the clinic",
)
def transfer_course(request: AuthedHttpRequest, course_id: int, payload: TransferIn) -> dict[str, Any]:
    require_billing(request.user)
    course = selectors.course_get_for_user(request.user, course_id)
    to_client = selectors.billing_client_get_for_user(request.user, payload.to_client_id)
    return course_out(
        courses.course_transfer(actor=request.user, course=course, to_client=to_client, reason=payload.reason)
    )


@router.post(
    "/billing/fees/{fee_id}/waive",
    response={200: FeeOut, **error_responses(404, *BODY)},
    summary="Waive a late-cancellation or no-show fee with a reason (admins)",
)
def waive_fee(request: AuthedHttpRequest, fee_id: int, payload: ReasonIn) -> Fee:
    require_billing_admin(request.user)
    fee = selectors.fee_get_for_user(request.user, fee_id)
    return fees.fee_waive(actor=request.user, fee=fee, reason=payload.reason)


@router.post(
    "/billing/fees/{fee_id}/invoice",
    response={201: InvoiceOut, **error_responses(404)},
    summary="Invoice a fee on its own",
)
def invoice_fee(request: AuthedHttpRequest, fee_id: int) -> Status:
    fee = selectors.fee_get_for_user(request.user, fee_id)
    return Status(201, invoice_out(invoices.invoice_for_fee(actor=request.user, fee=fee)))


# --- the superbill (clinical: diagnoses) -------------------------------------------------------------------


@router.get(
    "/clients/{client_id}/superbill.pdf",
    response={200: None, **error_responses(404)},
    openapi_extra=_PDF,
    summary="A superbill for the client's visits in a period (PDF; clinical staff who see the client)",
)
def superbill(request: AuthedHttpRequest, client_id: int, period: Query[PeriodQuery]) -> HttpResponse:
    from nervecare.billing.pdf import superbill_pdf

    require_clinical(request.user)
    client = client_get_for_user(request.user, client_id)
    start, end = _period(period, client.clinic)
    audit_view(request.user, client, summary=f"Superbill {start}–{end} downloaded")
    pdf = superbill_pdf(selectors.superbill_data(client, start, end))
    return pdf_download(pdf, filename=f"superbill-{client.pk}-{start}-{end}.pdf")
