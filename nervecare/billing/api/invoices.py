"""Check-out, invoices, payments, refunds, voids, credit notes and the invoice e-mail."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja import Field, Query, Schema, Status

from nervecare.billing import selectors
from nervecare.billing.api.common import (
    _PDF,
    _payments,
    invoice_out,
    invoice_summary,
    router,
)
from nervecare.billing.documents import invoice_pdf_response
from nervecare.billing.models import Invoice
from nervecare.billing.schemas import (
    CheckoutIn,
    CreditIn,
    EmailIn,
    InvoiceOut,
    InvoiceSummaryOut,
    PaymentIn,
    PaymentOut,
    ReasonIn,
    RefundIn,
)
from nervecare.billing.services import email, invoices, payments
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.permissions import (
    require_billing_admin,
)
from nervecare.core.request_types import AuthedHttpRequest

# --- check-out and invoices -------------------------------------------------------------------------------


@router.post(
    "/billing/checkout",
    response={201: InvoiceOut, **error_responses(404, *BODY)},
    summary="Check out one or several visits: the invoice, and the payments taken now",
)
def checkout(request: AuthedHttpRequest, payload: CheckoutIn) -> Status:
    client = selectors.billing_client_get_for_user(request.user, payload.client_id)
    invoice = invoices.invoice_checkout(
        actor=request.user,
        client=client,
        appointment_ids=payload.appointment_ids,
        discounts=[
            invoices.DiscountIn(appointment_id=d.appointment_id, amount=d.amount, reason=d.reason)
            for d in payload.discounts
        ],
        course_id=payload.course_id,
        include_fees=payload.include_fees,
        tip=payload.tip,
        payments=_payments(payload.payments),
        note=payload.note,
    )
    return Status(201, invoice_out(invoice))


class InvoiceFilter(Schema):
    client_id: int | None = Field(None, ge=1, le=2**31 - 1)
    status: str = ""


@router.get(
    "/billing/invoices", response={200: list[InvoiceSummaryOut], **error_responses()}, summary="Invoices"
)
def list_invoices(request: AuthedHttpRequest, filters: Query[InvoiceFilter]) -> list[dict[str, Any]]:
    qs = selectors.invoices_for_clinic(request.user, status=filters.status)
    if filters.client_id is not None:
        qs = qs.filter(client_id=filters.client_id)
    found = list(qs[:500])
    audit_list(request.user, Invoice, [i.pk for i in found], summary="Invoices listed (API)")
    return [invoice_summary(i) for i in found]


@router.get(
    "/billing/invoices/{invoice_id}", response={200: InvoiceOut, **error_responses(404)}, summary="An invoice"
)
def get_invoice(request: AuthedHttpRequest, invoice_id: int) -> dict[str, Any]:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    audit_view(request.user, invoice)
    return invoice_out(invoice)


@router.get(
    "/billing/invoices/{invoice_id}/pdf",
    response={200: None, **error_responses(404)},
    openapi_extra=_PDF,
    summary="The invoice as a PDF",
)
def invoice_pdf_route(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    audit_view(request.user, invoice, summary="Invoice PDF downloaded")
    return invoice_pdf_response(invoice, "invoice")


@router.get(
    "/billing/invoices/{invoice_id}/receipt",
    response={200: None, **error_responses(404)},
    openapi_extra=_PDF,
    summary="A plain receipt for the invoice (PDF)",
)
def invoice_receipt_route(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    audit_view(request.user, invoice, summary="Receipt PDF downloaded")
    return invoice_pdf_response(invoice, "receipt")


@router.post(
    "/billing/invoices/{invoice_id}/payments",
    response={201: PaymentOut, **error_responses(404, *BODY)},
    summary="Take a payment (or part of one) on an invoice",
)
def add_payment(request: AuthedHttpRequest, invoice_id: int, payload: PaymentIn) -> Status:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    return Status(201, payments.payment_record(actor=request.user, invoice=invoice, **payload.model_dump()))


@router.post(
    "/billing/invoices/{invoice_id}/void",
    response={200: InvoiceOut, **error_responses(404, *BODY)},
    summary="Void an invoice with a reason (admins)",
)
def void_invoice(request: AuthedHttpRequest, invoice_id: int, payload: ReasonIn) -> dict[str, Any]:
    require_billing_admin(request.user)
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    invoices.invoice_void(actor=request.user, invoice=invoice, reason=payload.reason)
    return invoice_out(selectors.invoice_get_for_user(request.user, invoice_id))


@router.post(
    "/billing/invoices/{invoice_id}/credit-notes",
    response={201: InvoiceOut, **error_responses(404, *BODY)},
    summary="Issue a credit note against an invoice (admins)",
)
def credit_invoice(request: AuthedHttpRequest, invoice_id: int, payload: CreditIn) -> Status:
    require_billing_admin(request.user)
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    note = invoices.invoice_credit(
        actor=request.user, invoice=invoice, amount=payload.amount, reason=payload.reason
    )
    return Status(201, invoice_out(note))


class QueuedOut(Schema):
    queued: bool


@router.post(
    "/billing/invoices/{invoice_id}/email",
    response={202: QueuedOut, **error_responses(404, *BODY)},
    summary="E-mail the invoice (or its receipt) to the client (through the job queue)",
)
def email_invoice(request: AuthedHttpRequest, invoice_id: int, payload: EmailIn) -> Status:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    email.invoice_send(actor=request.user, invoice=invoice, receipt=payload.receipt)
    return Status(202, {"queued": True})


@router.post(
    "/billing/payments/{payment_id}/refund",
    response={201: PaymentOut, **error_responses(404, *BODY)},
    summary="Refund (part of) a payment to its original method (admins)",
)
def refund_payment(request: AuthedHttpRequest, payment_id: int, payload: RefundIn) -> Status:
    require_billing_admin(request.user)
    payment = selectors.payment_get_for_user(request.user, payment_id)
    return Status(
        201,
        payments.payment_refund(
            actor=request.user, payment=payment, amount=payload.amount, reason=payload.reason
        ),
    )
