"""Billing pages: the desk's money page, a client's account with check-out and course sale, an invoice with
its payments (and, for admins, void, credit and refund), prices, the books, a therapist's takings, and the
superbill download."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from nervecare.billing import reports, selectors
from nervecare.billing.documents import invoice_pdf_response
from nervecare.billing.forms import (
    CheckoutForm,
    CourseForm,
    PaymentForm,
    PeriodForm,
    PriceForm,
    ReasonForm,
    RefundForm,
)
from nervecare.billing.models import Fee
from nervecare.billing.pdf import superbill_pdf
from nervecare.billing.services import courses, email, fees, invoices, payments, prices
from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist
from nervecare.core.pages import csv_download, errors_to_form, pdf_download, run_service
from nervecare.core.permissions import (
    clinic_of,
    require_billing,
    require_billing_admin,
    require_clinical,
)
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling.models import Service


def _today(request: AuthedHttpRequest) -> datetime.date:
    return timezone.localdate(timezone=selectors.clinic_zone(clinic_of(request.user)))


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    """The desk's money page: find a client, fees to invoice, today's takings."""
    require_billing(request.user)
    clinic = clinic_of(request.user)
    q = request.GET.get("q", "").strip()[:100]
    clients = []
    if q:
        clients = list(
            selectors.billing_clients(request.user)
            .filter(Q(last_name__icontains=q) | Q(first_name__icontains=q))
            .order_by("last_name", "first_name")[:50]
        )
        audit_list(request.user, Client, [c.pk for c in clients], "Client search (billing)")
    pending = list(
        Fee.objects.filter(clinic=clinic, status=Fee.Status.PENDING).select_related("client", "appointment")[
            :100
        ]
    )
    return render(
        request,
        "billing/home.html",
        {
            "q": q,
            "clients": clients,
            "pending_fees": pending,
            "day": reports.day_takings(clinic, _today(request)),
        },
    )


def _account_context(request: AuthedHttpRequest, client: Any, **forms: Any) -> dict[str, Any]:
    account = selectors.client_account(client)
    visits = selectors.unbilled_visits(client)
    active = selectors.active_courses(client)
    services = Service.objects.filter(clinic_id=client.clinic_id, active=True)
    return {
        **account,
        "currency": client.clinic.currency,
        "checkout_form": forms.get("checkout_form") or CheckoutForm(visits=visits, courses=active),
        "course_form": forms.get("course_form") or CourseForm(services=services),
        "visits": visits,
        "is_admin": request.user.role == request.user.Role.ADMIN,
    }


@login_required
def client_account(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    audit_view(request.user, client, summary="Money account viewed")
    context = _account_context(request, client)
    # From the day view's "Take payment" on a checked-out visit: that visit is chosen.
    visit = request.GET.get("visit", "")
    if visit.isdigit() and int(visit) in {v.id for v in context["visits"]}:
        context["checkout_form"] = CheckoutForm(
            initial={"appointment_ids": [int(visit)]},
            visits=context["visits"],
            courses=selectors.active_courses(client),
        )
    return render(request, "billing/client.html", context)


def _payments_from(data: dict[str, Any]) -> list[dict[str, Any]]:
    if not data.get("pay_method"):
        return []
    return [
        {
            "method": data["pay_method"],
            "amount": data["pay_amount"],
            "card_last4": data.get("card_last4") or "",
            "reference": data.get("reference") or "",
        }
    ]


def _form_errors(form: Any, errors: dict[str, str]) -> None:
    """Service errors onto the form: `payments[0].amount` shows on `pay_amount`, a discount's on its field."""
    mapped: dict[str, str] = {}
    for key, message in errors.items():
        field = key
        if key.startswith("payments["):
            field = {"amount": "pay_amount", "method": "pay_method"}.get(
                key.split(".")[-1], key.split(".")[-1]
            )
        elif key.startswith("discounts["):
            field = "discount_reason" if key.endswith("reason") else "discount_amount"
        elif key.startswith("appointment_ids"):
            field = "appointment_ids"
        mapped[field] = (mapped[field] + " " if field in mapped else "") + message
    errors_to_form(form, mapped)


@login_required
@require_POST
def checkout(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    form = CheckoutForm(
        request.POST, visits=selectors.unbilled_visits(client), courses=selectors.active_courses(client)
    )
    if form.is_valid():
        data = form.cleaned_data
        ids = data["appointment_ids"]
        discounts = []
        if data.get("discount_amount"):
            discounts = [
                invoices.DiscountIn(
                    appointment_id=ids[0], amount=data["discount_amount"], reason=data["discount_reason"]
                )
            ]
        try:
            invoice = invoices.invoice_checkout(
                actor=request.user,
                client=client,
                appointment_ids=ids,
                discounts=discounts,
                course_id=data.get("course_id"),
                tip=data.get("tip") or Decimal("0"),
                payments=_payments_from(data),
            )
        except FieldErrors as exc:
            _form_errors(form, exc.errors)
        else:
            return redirect("billing:invoice", invoice_id=invoice.pk)
    return render(
        request, "billing/client.html", _account_context(request, client, checkout_form=form), status=422
    )


@login_required
@require_POST
def course_sell(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    form = CourseForm(request.POST, services=Service.objects.filter(clinic_id=client.clinic_id, active=True))
    if form.is_valid():
        data = form.cleaned_data
        try:
            _course, invoice = courses.course_sell(
                actor=request.user,
                client=client,
                service_id=data["service_id"],
                sessions=data["sessions"],
                price=data["price"],
                expires_on=data.get("expires_on"),
                payments=_payments_from(data),
            )
        except FieldErrors as exc:
            _form_errors(form, exc.errors)
        else:
            return redirect("billing:invoice", invoice_id=invoice.pk)
    return render(
        request, "billing/client.html", _account_context(request, client, course_form=form), status=422
    )


def _invoice_context(request: AuthedHttpRequest, invoice: Any, **forms: Any) -> dict[str, Any]:
    return {
        **selectors.invoice_detail(invoice),
        "payment_form": forms.get("payment_form")
        or PaymentForm(initial={"amount": selectors.invoice_balance(invoice)}),
        "void_form": forms.get("void_form") or ReasonForm(),
        "credit_form": forms.get("credit_form") or RefundForm(prefix="credit"),
        "refund_form": RefundForm(prefix="refund"),
        "is_admin": request.user.role == request.user.Role.ADMIN,
    }


@login_required
def invoice_page(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    audit_view(request.user, invoice)
    return render(request, "billing/invoice.html", _invoice_context(request, invoice))


@login_required
def invoice_pdf(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    audit_view(request.user, invoice, summary="Invoice PDF downloaded")
    return invoice_pdf_response(invoice, "invoice")


@login_required
def invoice_receipt(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    audit_view(request.user, invoice, summary="Receipt PDF downloaded")
    return invoice_pdf_response(invoice, "receipt")


@login_required
@require_POST
def invoice_pay(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    form = PaymentForm(request.POST)
    if form.is_valid():
        result = run_service(
            request,
            lambda: payments.payment_record(actor=request.user, invoice=invoice, **form.cleaned_data),
            form=form,
            success="Payment recorded.",
        )
        if result.ok:
            return redirect("billing:invoice", invoice_id=invoice.pk)
    return render(
        request, "billing/invoice.html", _invoice_context(request, invoice, payment_form=form), status=422
    )


@login_required
@require_POST
def invoice_void(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    require_billing_admin(request.user)
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        result = run_service(
            request,
            lambda: invoices.invoice_void(
                actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"]
            ),
            form=form,
            success="Invoice voided.",
        )
        if result.ok:
            return redirect("billing:invoice", invoice_id=invoice.pk)
    return render(
        request, "billing/invoice.html", _invoice_context(request, invoice, void_form=form), status=422
    )


@login_required
@require_POST
def invoice_credit(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    require_billing_admin(request.user)
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    form = RefundForm(request.POST, prefix="credit")
    if form.is_valid():
        result = run_service(
            request,
            lambda: invoices.invoice_credit(
                actor=request.user,
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            ),
            form=form,
        )
        if result.ok and result.value is not None:
            return redirect("billing:invoice", invoice_id=result.value.pk)
    return render(
        request, "billing/invoice.html", _invoice_context(request, invoice, credit_form=form), status=422
    )


@login_required
@require_POST
def invoice_email(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    receipt = request.POST.get("receipt") == "1"
    run_service(
        request,
        lambda: email.invoice_send(actor=request.user, invoice=invoice, receipt=receipt),
        success="The e-mail is on its way (sent by the job queue).",
    )
    return redirect("billing:invoice", invoice_id=invoice.pk)


@login_required
@require_POST
def payment_refund(request: AuthedHttpRequest, payment_id: int) -> HttpResponse:
    require_billing_admin(request.user)
    payment = selectors.payment_get_for_user(request.user, payment_id)
    form = RefundForm(request.POST, prefix="refund")
    if form.is_valid():
        result = run_service(
            request,
            lambda: payments.payment_refund(
                actor=request.user,
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            ),
            success="Refund recorded.",
        )
        if result.ok:
            return redirect("billing:invoice", invoice_id=payment.invoice_id)
    else:
        errors_to_form(form, {})
    context = _invoice_context(request, payment.invoice)
    context["refund_form"] = form
    return render(request, "billing/invoice.html", context, status=422)


@login_required
@require_POST
def fee_waive(request: AuthedHttpRequest, fee_id: int) -> HttpResponse:
    require_billing_admin(request.user)
    fee = selectors.fee_get_for_user(request.user, fee_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    run_service(
        request, lambda: fees.fee_waive(actor=request.user, fee=fee, reason=reason), success="Fee waived."
    )
    return redirect("billing:client", client_id=fee.client_id)


@login_required
@require_POST
def fee_invoice(request: AuthedHttpRequest, fee_id: int) -> HttpResponse:
    fee = selectors.fee_get_for_user(request.user, fee_id)
    result = run_service(request, lambda: invoices.invoice_for_fee(actor=request.user, fee=fee))
    if result.ok and result.value is not None:
        return redirect("billing:invoice", invoice_id=result.value.pk)
    return redirect("billing:client", client_id=fee.client_id)


def _period(
    request: AuthedHttpRequest, default_days: int = 31
) -> tuple[datetime.date, datetime.date, PeriodForm]:
    form = PeriodForm(request.GET or None)
    today = _today(request)
    start, end = today - datetime.timedelta(days=default_days), today
    if form.is_valid():
        end = form.cleaned_data.get("end") or end
        start = form.cleaned_data.get("start") or end - datetime.timedelta(days=default_days)
    if start > end or (end - start).days > 366 * 3:
        start, end = end - datetime.timedelta(days=default_days), end
    return start, end, form


@login_required
def books(request: AuthedHttpRequest) -> HttpResponse:
    """The books (admins): a day's takings, balances by age, revenue, course liabilities, the CSV journal."""
    require_billing_admin(request.user)
    clinic = clinic_of(request.user)
    start, end, form = _period(request)
    try:
        day = (
            datetime.date.fromisoformat(request.GET.get("day", ""))
            if request.GET.get("day")
            else _today(request)
        )
    except ValueError:
        day = _today(request)
    return render(
        request,
        "billing/books.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "day": reports.day_takings(clinic, day),
            "aging": reports.aging(clinic, _today(request)),
            "revenue": reports.revenue(clinic, start, end),
            "liabilities": reports.course_liabilities(clinic),
        },
    )


@login_required
def export_csv(request: AuthedHttpRequest) -> HttpResponse:
    require_billing_admin(request.user)
    start, end, _form = _period(request)
    return csv_download(
        reports.journal_csv(clinic_of(request.user), start, end), filename=f"journal-{start}-{end}.csv"
    )


@login_required
def takings(request: AuthedHttpRequest) -> HttpResponse:
    """A therapist's own takings (admins: every therapist's)."""
    require_clinical(request.user)
    start, end, form = _period(request)
    own = getattr(request.user, "therapist", None)
    therapist_id = own.pk if request.user.role == request.user.Role.THERAPIST and own else None
    if request.user.role == request.user.Role.THERAPIST and own is None:
        therapist_id = -1
    revenue = reports.revenue(clinic_of(request.user), start, end, therapist_id=therapist_id)
    return render(
        request, "billing/takings.html", {"form": form, "revenue": revenue, "start": start, "end": end}
    )


@login_required
def price_list(request: AuthedHttpRequest) -> HttpResponse:
    require_billing(request.user)
    clinic = clinic_of(request.user)
    services = Service.objects.filter(clinic=clinic, active=True)
    therapists = Therapist.objects.filter(clinic=clinic, active=True)
    form = PriceForm(services=services, therapists=therapists)
    status = 200
    if request.method == "POST":
        require_billing_admin(request.user)
        form = PriceForm(request.POST, services=services, therapists=therapists)
        if form.is_valid():
            result = run_service(
                request,
                lambda: prices.price_set(actor=request.user, **form.cleaned_data),
                form=form,
                success="Price saved.",
            )
            if result.ok:
                return redirect("billing:prices")
        status = 422
    return render(
        request,
        "billing/prices.html",
        {
            "form": form,
            "prices": selectors.prices_for_clinic(clinic.pk),
            "settings": selectors.billing_settings_for(clinic),
            "currency": clinic.currency,
            "is_admin": request.user.role == request.user.Role.ADMIN,
        },
        status=status,
    )


@login_required
def superbill(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    """The superbill PDF for a client's visits in a period (clinical staff who see the client)."""
    require_clinical(request.user)
    client = client_get_for_user(request.user, client_id)
    start, end, _form = _period(request, default_days=365)
    audit_view(request.user, client, summary=f"Superbill {start}–{end} downloaded")
    return pdf_download(
        superbill_pdf(selectors.superbill_data(client, start, end)), filename=f"superbill-{client.pk}.pdf"
    )
