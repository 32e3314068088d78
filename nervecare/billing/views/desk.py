"""Billing pages: the desk's money page, a client's account with check-out and course sale, an invoice with
its payments (and, for admins, void, credit and refund), prices, the books, a therapist's takings, and the
superbill download."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from nervecare.billing import reports, selectors
from nervecare.billing.documents import invoice_pdf_response
from nervecare.billing.forms import (
    CheckoutForm,
    CourseForm,
    GiftCardForm,
    MembershipForm,
    PaymentForm,
    PeriodForm,
    PriceForm,
    ReasonForm,
    RefundForm,
)
from nervecare.billing.models import Fee, Invoice
from nervecare.billing.services import courses, email, fees, invoices, payments, prices
from nervecare.billing.views.common import form_errors, payments_from, today_for
from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.bounds import HISTORY
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
            "day": reports.day_takings(clinic, today_for(request)),
        },
    )


def _checkout_initial(request: AuthedHttpRequest, visits: list[Any], active: list[Any]) -> dict[str, Any]:
    """The visit the day view's check-out link names (?visit=), ticked, and a course (or membership month)
    of its service chosen to draw it from."""
    try:
        wanted = int(request.GET.get("visit", ""))
    except ValueError:
        return {}
    visit = next((v for v in visits if v.pk == wanted), None)
    if visit is None:
        return {}
    course = next((c for c in active if c.service_id == visit.service_id), None)
    return {"appointment_ids": [visit.pk], "course_id": course.pk if course else None}


def _account_context(request: AuthedHttpRequest, client: Any, **forms: Any) -> dict[str, Any]:
    account = selectors.client_account(client)
    visits = selectors.unbilled_visits(client)
    active = selectors.active_courses(client)
    services = Service.objects.filter(clinic_id=client.clinic_id, active=True)
    plans = selectors.membership_plans_for_clinic(request.user).filter(active=True)
    initial = _checkout_initial(request, visits, active)
    return {
        **account,
        "currency": client.clinic.currency,
        "checkout_form": forms.get("checkout_form")
        or CheckoutForm(visits=visits, courses=active, initial=initial),
        "preselected": bool(initial),
        "course_form": forms.get("course_form") or CourseForm(services=services),
        "gift_card_form": forms.get("gift_card_form") or GiftCardForm(),
        "membership_form": forms.get("membership_form") or MembershipForm(plans=plans),
        "has_plans": plans.exists(),
        "visits": visits,
        "is_admin": request.user.role == request.user.Role.ADMIN,
    }


def account_page(request: AuthedHttpRequest, client: Any, status: int = 422, **forms: Any) -> HttpResponse:
    """The client's account page again, with the form that failed (its errors shown) — status 422."""
    return render(request, "billing/client.html", _account_context(request, client, **forms), status=status)


@login_required
def checkout_visit(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """The day view's check-out link: the visit's client's check-out with the visit ticked, or its invoice
    when it is on one already."""
    visit = selectors.checkout_visit_get_for_user(request.user, appointment_id)
    invoice = selectors.invoice_of_visit(visit)
    if invoice is not None:
        return redirect("billing:invoice", invoice_id=invoice.pk)
    url = reverse("billing:client", kwargs={"client_id": visit.client_id})
    return redirect(f"{url}?visit={visit.pk}#h-checkout")


@login_required
def client_account(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    audit_view(request.user, client, summary="Money account viewed")
    # ?visit= (the day view's "Take payment" on a checked-out visit): that visit ticked (_checkout_initial)
    return render(request, "billing/client.html", _account_context(request, client))


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
                payments=payments_from(data),
            )
        except FieldErrors as exc:
            form_errors(form, exc.errors)
        else:
            return redirect("billing:invoice", invoice_id=invoice.pk)
    return account_page(request, client, checkout_form=form)


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
                payments=payments_from(data),
            )
        except FieldErrors as exc:
            form_errors(form, exc.errors)
        else:
            return redirect("billing:invoice", invoice_id=invoice.pk)
    return account_page(request, client, course_form=form)


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


def _invoice_form(
    request: AuthedHttpRequest,
    invoice: Any,
    form: Any,
    name: str,
    call: Callable[[dict[str, Any]], Any],
    success: str = "",
) -> HttpResponse:
    """The invoice page's forms (payment, void, credit note): a valid form runs its service; on success to the
    page the service answers with (the invoice, or the credit note made), else the page again with the form's
    errors (422) and nothing written."""
    if form.is_valid():
        result = run_service(request, lambda: call(form.cleaned_data), form=form, success=success)
        if result.ok:
            target = result.value if isinstance(result.value, Invoice) else invoice
            return redirect("billing:invoice", invoice_id=target.pk)
    return render(
        request, "billing/invoice.html", _invoice_context(request, invoice, **{name: form}), status=422
    )


@login_required
@require_POST
def invoice_pay(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    return _invoice_form(
        request,
        invoice,
        PaymentForm(request.POST),
        "payment_form",
        lambda data: payments.payment_record(actor=request.user, invoice=invoice, **data),
        success="Payment recorded.",
    )


@login_required
@require_POST
def invoice_void(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    require_billing_admin(request.user)
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    return _invoice_form(
        request,
        invoice,
        ReasonForm(request.POST),
        "void_form",
        lambda data: invoices.invoice_void(actor=request.user, invoice=invoice, reason=data["reason"]),
        success="Invoice voided.",
    )


@login_required
@require_POST
def invoice_credit(request: AuthedHttpRequest, invoice_id: int) -> HttpResponse:
    require_billing_admin(request.user)
    invoice = selectors.invoice_get_for_user(request.user, invoice_id)
    return _invoice_form(
        request,
        invoice,
        RefundForm(request.POST, prefix="credit"),
        "credit_form",
        lambda data: invoices.invoice_credit(
            actor=request.user, invoice=invoice, amount=data["amount"], reason=data["reason"]
        ),
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
    today = today_for(request)
    start, end = today - datetime.timedelta(days=default_days), today
    if form.is_valid():
        end = form.cleaned_data.get("end") or end
        start = form.cleaned_data.get("start") or end - datetime.timedelta(days=default_days)
    if start > end or (end - start).days > 366 * 3:
        start, end = end - datetime.timedelta(days=default_days), end
    return start, end, form


def _period_refused(form: PeriodForm) -> HttpResponse:
    """A download asked for with a period that is not one: 422 naming each field, nothing downloaded."""
    text = "; ".join(
        f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in form.errors.items()
    )
    return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")


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
            else today_for(request)
        )
    except ValueError:
        day = today_for(request)
    if not HISTORY.contains(day):
        day = today_for(request)
    return render(
        request,
        "billing/books.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "day": reports.day_takings(clinic, day),
            "aging": reports.aging(clinic, today_for(request)),
            "revenue": reports.revenue(clinic, start, end),
            "liabilities": reports.course_liabilities(clinic),
            "gift_cards": reports.gift_card_liabilities(clinic),
        },
        status=422 if form.errors else 200,
    )


@login_required
def export_csv(request: AuthedHttpRequest) -> HttpResponse:
    require_billing_admin(request.user)
    start, end, form = _period(request)
    if form.errors:
        return _period_refused(form)
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
        request,
        "billing/takings.html",
        {"form": form, "revenue": revenue, "start": start, "end": end},
        status=422 if form.errors else 200,
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
    from nervecare.billing.pdf import superbill_pdf

    require_clinical(request.user)
    client = client_get_for_user(request.user, client_id)
    start, end, form = _period(request, default_days=365)
    if form.errors:
        return _period_refused(form)
    audit_view(request.user, client, summary=f"Superbill {start}–{end} downloaded")
    return pdf_download(
        superbill_pdf(selectors.superbill_data(client, start, end)), filename=f"superbill-{client.pk}.pdf"
    )
