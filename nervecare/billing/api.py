"""API routes for money: prices and settings, check-out, invoices, payments and refunds, courses, fees, the
superbill, and the books. The desk and admins handle money (no clinical content); voids, refunds, waivers
and prices are admins'; the superbill carries diagnoses, so it follows the clinical record's rule."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from nervecare.billing import reports, selectors
from nervecare.billing.documents import invoice_pdf_response
from nervecare.billing.models import Course, Fee, Invoice
from nervecare.billing.schemas import (
    AccountOut,
    AgingOut,
    CheckoutIn,
    CourseIn,
    CourseOut,
    CreditIn,
    DayTakingsOut,
    EmailIn,
    FeeOut,
    InvoiceOut,
    InvoiceSummaryOut,
    LiabilitiesOut,
    PaymentIn,
    PaymentOut,
    PriceIn,
    PriceOut,
    ProviderIdsIn,
    ProviderIdsOut,
    ReasonIn,
    RefundIn,
    RevenueOut,
    SettingsIn,
    SettingsOut,
    SoldCourseOut,
    TransferIn,
)
from nervecare.billing.services import courses, email, fees, invoices, payments, prices
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.api_support import BODY, download, error_responses
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.bounds import HistoryDate
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist
from nervecare.core.pages import csv_download, pdf_download
from nervecare.core.permissions import (
    clinic_of,
    require_billing,
    require_billing_admin,
    require_clinical,
)
from nervecare.core.request_types import AuthedHttpRequest

router = Router(tags=["billing"])
_PDF = download("application/pdf")
_CSV = download("text/csv")


# --- shapes ----------------------------------------------------------------------------------------------


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    detail = selectors.invoice_detail(invoice)
    return {
        **invoice_summary(invoice),
        "credits_id": invoice.credits_id,
        "subtotal": invoice.subtotal,
        "discount_total": invoice.discount_total,
        "tax_total": invoice.tax_total,
        "tax_rate": invoice.tax_rate,
        "tax_label": invoice.tax_label,
        "note": invoice.note,
        "void_reason": invoice.void_reason,
        "paid": detail["paid"],
        "credited": detail["credited"],
        "balance": detail["balance"],
        "lines": detail["lines"],
        "payments": detail["payments"],
    }


def invoice_summary(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "display_number": invoice.display_number,
        "kind": invoice.kind,
        "status": invoice.status,
        "client_id": invoice.client_id,
        "currency": invoice.currency,
        "issued_at": invoice.issued_at,
        "total": invoice.total,
    }


def course_out(course: Course) -> dict[str, Any]:
    return {
        "id": course.pk,
        "client_id": course.client_id,
        "service_id": course.service_id,
        "name": course.name,
        "sessions_total": course.sessions_total,
        "sessions_used": course.sessions_used,
        "remaining": course.remaining,
        "price": course.price,
        "currency": course.currency,
        "expires_on": course.expires_on,
        "status": course.status,
        "transferred_from_id": course.transferred_from_id,
    }


def _payments(items: list[Any]) -> list[dict[str, Any]]:
    return [p.model_dump() for p in items]


# --- prices and settings ---------------------------------------------------------------------------------


@router.get("/billing/prices", response={200: list[PriceOut], **error_responses()}, summary="Prices")
def list_prices(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    require_billing(request.user)
    return [
        {
            "id": p.pk,
            "service_id": p.service_id,
            "service": p.service.name,
            "therapist_id": p.therapist_id,
            "amount": p.amount,
            "currency": p.currency,
            "tax_exempt": p.tax_exempt,
            "cpt_code": p.cpt_code,
        }
        for p in selectors.prices_for_clinic(clinic_of(request.user).pk)
    ]


@router.put(
    "/billing/prices",
    response={200: PriceOut, **error_responses(*BODY)},
    summary="Set a service's price (or one therapist's price for it; admins)",
)
def set_price(request: AuthedHttpRequest, payload: PriceIn) -> dict[str, Any]:
    p = prices.price_set(actor=request.user, **payload.model_dump())
    return {
        "id": p.pk,
        "service_id": p.service_id,
        "service": p.service.name,
        "therapist_id": p.therapist_id,
        "amount": p.amount,
        "currency": p.currency,
        "tax_exempt": p.tax_exempt,
        "cpt_code": p.cpt_code,
    }


def _settings_out(request: AuthedHttpRequest) -> dict[str, Any]:
    clinic = clinic_of(request.user)
    s = selectors.billing_settings_for(clinic)
    return {
        "currency": clinic.currency,
        "tax_rate": s.tax_rate,
        "tax_label": s.tax_label,
        "tax_id": s.tax_id,
        "npi": s.npi,
        "late_cancel_fee": s.late_cancel_fee,
        "no_show_fee": s.no_show_fee,
        "tips_allowed": s.tips_allowed,
        "cancellation_notice_hours": clinic.cancellation_notice_hours,
    }


@router.get("/billing/settings", response={200: SettingsOut, **error_responses()}, summary="Money settings")
def get_settings(request: AuthedHttpRequest) -> dict[str, Any]:
    require_billing(request.user)
    return _settings_out(request)


@router.patch(
    "/billing/settings",
    response={200: SettingsOut, **error_responses(*BODY)},
    summary="Change the tax rate, identifiers, fees and tips (admins)",
)
def patch_settings(request: AuthedHttpRequest, payload: SettingsIn) -> dict[str, Any]:
    prices.billing_settings_update(actor=request.user, data=payload.model_dump(exclude_none=True))
    return _settings_out(request)


@router.put(
    "/billing/therapists/{therapist_id}/identifiers",
    response={200: ProviderIdsOut, **error_responses(404, *BODY)},
    summary="A therapist's licence and NPI for superbills (admins)",
)
def put_provider_ids(request: AuthedHttpRequest, therapist_id: int, payload: ProviderIdsIn) -> dict[str, Any]:
    require_billing_admin(request.user)
    if not Therapist.objects.filter(pk=therapist_id, clinic_id=clinic_of(request.user).pk).exists():
        raise Http404("No such therapist.")
    row = prices.provider_ids_set(actor=request.user, therapist_id=therapist_id, **payload.model_dump())
    return {
        "therapist_id": row.therapist_id,
        "licence_number": row.licence_number,
        "licence_state": row.licence_state,
        "npi": row.npi,
    }


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


class PeriodQuery(Schema):
    start: HistoryDate | None = None
    end: HistoryDate | None = None


def _period(q: PeriodQuery, default_days: int = 365) -> tuple[datetime.date, datetime.date]:
    end = q.end or timezone.localdate()
    start = q.start or end - datetime.timedelta(days=default_days)
    if start > end:
        raise FieldErrors({"start": "the start is after the end"})
    if (end - start).days > 366 * 3:
        raise FieldErrors({"start": "a period is at most three years"})
    return start, end


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
    start, end = _period(period)
    audit_view(request.user, client, summary=f"Superbill {start}–{end} downloaded")
    pdf = superbill_pdf(selectors.superbill_data(client, start, end))
    return pdf_download(pdf, filename=f"superbill-{client.pk}-{start}-{end}.pdf")


# --- the books ---------------------------------------------------------------------------------------------


class DayQuery(Schema):
    day: HistoryDate | None = None


@router.get(
    "/billing/reports/day",
    response={200: DayTakingsOut, **error_responses()},
    summary="End-of-day takings by payment method (desk and admins)",
)
def report_day(request: AuthedHttpRequest, q: Query[DayQuery]) -> dict[str, Any]:
    require_billing(request.user)
    clinic = clinic_of(request.user)
    return reports.day_takings(clinic, q.day or timezone.localdate(timezone=selectors.clinic_zone(clinic)))


@router.get(
    "/billing/reports/aging",
    response={200: AgingOut, **error_responses()},
    summary="Outstanding balances by age (admins)",
)
def report_aging(request: AuthedHttpRequest) -> dict[str, Any]:
    require_billing_admin(request.user)
    clinic = clinic_of(request.user)
    return reports.aging(clinic, timezone.localdate(timezone=selectors.clinic_zone(clinic)))


@router.get(
    "/billing/reports/revenue",
    response={200: RevenueOut, **error_responses()},
    summary="Revenue by therapist, service and month (admins; a therapist their own)",
)
def report_revenue(request: AuthedHttpRequest, period: Query[PeriodQuery]) -> dict[str, Any]:
    start, end = _period(period)
    user = request.user
    if user.role == user.Role.THERAPIST and hasattr(user, "therapist"):
        return reports.revenue(clinic_of(user), start, end, therapist_id=user.therapist.pk)
    require_billing_admin(user)
    return reports.revenue(clinic_of(user), start, end)


@router.get(
    "/billing/reports/course-liabilities",
    response={200: LiabilitiesOut, **error_responses()},
    summary="Sessions sold but not yet given (admins)",
)
def report_liabilities(request: AuthedHttpRequest) -> dict[str, Any]:
    require_billing_admin(request.user)
    return reports.course_liabilities(clinic_of(request.user))


@router.get(
    "/billing/export.csv",
    response={200: None, **error_responses()},
    openapi_extra=_CSV,
    summary="The journal (invoice lines, payments, refunds) as CSV for an accounting package (admins)",
)
def export_csv(request: AuthedHttpRequest, period: Query[PeriodQuery]) -> HttpResponse:
    require_billing_admin(request.user)
    start, end = _period(period, default_days=31)
    clinic = clinic_of(request.user)
    return csv_download(reports.journal_csv(clinic, start, end), filename=f"journal-{start}-{end}.csv")
