"""Issuing invoices (at check-out, for one or several visits), voiding them and crediting them.

Numbering: one unbroken sequence per clinic shared by invoices and credit notes. Issuing locks the clinic's
counter row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), takes the
next number and inserts the invoice in the same transaction: a failed check-out rolls the counter back with
it, so there is no gap, and two check-outs never get the same number (also a unique constraint).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from nervecare.billing import rules
from nervecare.billing.models import Course, Fee, GiftCard, Invoice, InvoiceCounter, InvoiceLine, Payment
from nervecare.billing.money import ZERO, round_amount, split_evenly, tax_on
from nervecare.billing.selectors import (
    billing_settings_for,
    clinic_zone,
    invoice_balance,
    invoice_credited,
    price_for,
)
from nervecare.billing.services.email import invoice_send
from nervecare.billing.services.payments import payment_record_locked, refund_course_draws
from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import require_billing, require_billing_admin
from nervecare.core.services import audit_record
from nervecare.scheduling.models import Appointment, Service

BILLABLE = (Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED)


@dataclass
class LineDraft:
    """A line before it is issued (amounts in the invoice's currency)."""

    kind: str
    description: str
    unit_price: Decimal
    quantity: int = 1
    discount: Decimal = ZERO
    discount_reason: str = ""
    taxable: bool = True
    appointment: Appointment | None = None
    therapist: Therapist | None = None
    service: Service | None = None
    course: Course | None = None
    service_date: datetime.date | None = None
    cpt_code: str = ""
    minutes: int | None = None
    fee: Fee | None = None
    tax_override: Decimal | None = None  # a credit note's share of the credited invoice's tax


@dataclass(frozen=True)
class DiscountIn:
    appointment_id: int
    amount: Decimal
    reason: str


# The largest amount a money column holds (12 digits, 2 places: billing/models/fields.py).
MAX_RECORDABLE = Decimal("9999999999.99")


def _next_number(clinic: Clinic) -> int:
    InvoiceCounter.objects.get_or_create(clinic=clinic)
    counter = InvoiceCounter.objects.select_for_update().get(clinic=clinic)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def issue(
    *,
    actor: User,
    client: Client,
    drafts: list[LineDraft],
    note: str = "",
    kind: str = Invoice.Kind.INVOICE,
    credits: Invoice | None = None,
) -> Invoice:
    """Issue an invoice (or credit note) of `drafts`: totals fixed, number taken, lines written, audited.
    Call inside the caller's transaction."""
    clinic = client.clinic
    settings = billing_settings_for(clinic)
    currency = credits.currency if credits else clinic.currency
    rate = credits.tax_rate if credits else settings.tax_rate
    label = credits.tax_label if credits else settings.tax_label
    subtotal = discount_total = tax_total = ZERO
    computed = []
    for d in drafts:
        gross = round_amount(d.unit_price * d.quantity, currency)
        net = gross - d.discount
        if d.tax_override is not None:
            tax = d.tax_override
        else:
            tax = tax_on(net, rate, currency) if d.taxable else ZERO
        computed.append((d, gross, net, tax))
        subtotal += gross
        discount_total += d.discount
        tax_total += tax
    # Every amount the rows will hold: the invoice's totals and each line's gross and total.
    amounts = [subtotal, discount_total, tax_total, subtotal - discount_total + tax_total]
    amounts += [x for _d, gross, net, tax in computed for x in (gross, net + tax)]
    largest = max(abs(x) for x in amounts)
    if largest > MAX_RECORDABLE:
        # The columns hold 12 digits: PostgreSQL would refuse the row (a 500). Say so before anything is written.
        raise FieldErrors(
            {
                "total": f"this comes to {largest} {currency}, more than one invoice can record "
                f"({MAX_RECORDABLE} {currency}): check the prices, the quantities and the tip"
            }
        )
    number = _next_number(clinic)
    invoice = Invoice.objects.create(
        clinic=clinic,
        client=client,
        number=number,
        kind=kind,
        credits=credits,
        currency=currency,
        issued_at=timezone.now(),
        issued_by=actor,
        subtotal=subtotal,
        discount_total=discount_total,
        tax_total=tax_total,
        total=subtotal - discount_total + tax_total,
        tax_rate=rate,
        tax_label=label,
        note=note.strip()[:300],
    )
    for position, (d, _gross, net, tax) in enumerate(computed, start=1):
        line = InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            kind=d.kind,
            description=d.description[:200],
            appointment=d.appointment,
            therapist=d.therapist,
            service=d.service,
            course=d.course,
            service_date=d.service_date,
            quantity=d.quantity,
            unit_price=d.unit_price,
            discount=d.discount,
            discount_reason=d.discount_reason.strip()[:200],
            tax=tax,
            total=net + tax,
            cpt_code=d.cpt_code,
            minutes=d.minutes,
            units=rules.units_for_minutes(d.minutes) if d.cpt_code and d.minutes is not None else None,
        )
        if d.fee is not None:
            d.fee.status = Fee.Status.INVOICED
            d.fee.invoice_line = line
            d.fee.save(update_fields=["status", "invoice_line"])
    audit_record(
        actor=actor,
        action="create",
        obj=invoice,
        summary=f"Issued {invoice.display_number}: {invoice.total} {currency}",
        changes={"total": [None, str(invoice.total)], "number": [None, number]},
    )
    return invoice


def _minutes(appointment: Appointment) -> int:
    return int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)


def _session_drafts(
    *,
    client: Client,
    appointments: list[Appointment],
    discounts: dict[int, DiscountIn],
    course: Course | None,
) -> tuple[list[LineDraft], list[tuple[Course, Decimal]]]:
    """A line per visit at its price (or drawn from the course); the course draws to pay (course, amount)."""
    errors: dict[str, str] = {}
    drafts: list[LineDraft] = []
    draws: list[tuple[Course, Decimal]] = []
    zone = clinic_zone(client.clinic)
    if course is not None:
        shares = split_evenly(course.price, course.sessions_total, course.currency)
        used = course.sessions_used
        if course.remaining < len(appointments):
            errors["course_id"] = (
                f"the course has {course.remaining} session(s) left, not {len(appointments)}"
            )
        if course.expires_on and course.expires_on < timezone.localdate(timezone=zone):
            errors["course_id"] = f"the course expired on {course.expires_on:%d %B %Y}"
        if course.status != Course.Status.ACTIVE:
            errors["course_id"] = f"the course is {course.get_status_display().lower()}"
    for i, a in enumerate(appointments):
        key = f"appointment_ids[{i}]"
        if a.client_id != client.pk:
            errors[key] = "this visit is another client's"
            continue
        if a.status not in BILLABLE:
            errors[key] = f"a {a.get_status_display().lower()} visit cannot be checked out"
            continue
        if (
            InvoiceLine.objects.filter(appointment=a, invoice__status=Invoice.Status.ISSUED)
            .exclude(kind=InvoiceLine.Kind.FEE)
            .exists()
        ):
            errors[key] = "this visit is already on an invoice"
            continue
        price = price_for(a.service, a.therapist)
        local = a.starts_at.astimezone(zone)
        description = f"{a.service.name} with {a.therapist.display_name}, {local:%d %b %Y %H:%M}"
        discount = discounts.get(a.pk)
        if course is not None:
            if a.service_id != course.service_id:
                errors[key] = f"the course is for {course.service.name}, not {a.service.name}"
                continue
            index = used + len(draws)
            value = shares[index] if index < len(shares) else ZERO
            draws.append((course, value))
            drafts.append(
                LineDraft(
                    kind=InvoiceLine.Kind.SERVICE,
                    description=f"{description} — course session {index + 1} of {course.sessions_total}",
                    unit_price=value,
                    taxable=False,  # the course was taxed when it was sold
                    appointment=a,
                    therapist=a.therapist,
                    service=a.service,
                    course=course,
                    service_date=local.date(),
                    cpt_code=price.cpt_code if price else "",
                    minutes=_minutes(a),
                )
            )
            if discount is not None:
                errors[f"discounts[{a.pk}]"] = "a session drawn from a course takes no discount"
            continue
        if price is None:
            errors[key] = f"{a.service.name} has no price yet: an admin sets it under Billing → Prices"
            continue
        amount = discount.amount if discount else ZERO
        if discount is not None:
            if amount <= 0 or amount > price.amount:
                errors[f"discounts[{a.pk}].amount"] = f"a discount is more than 0 and at most {price.amount}"
            elif amount != round_amount(amount, client.clinic.currency):
                errors[f"discounts[{a.pk}].amount"] = (
                    f"the discount has more decimal places than {client.clinic.currency} allows"
                )
            if not discount.reason.strip():
                errors[f"discounts[{a.pk}].reason"] = "say why the discount is given"
        drafts.append(
            LineDraft(
                kind=InvoiceLine.Kind.SERVICE,
                description=description,
                unit_price=price.amount,
                discount=amount,
                discount_reason=discount.reason if discount else "",
                taxable=not price.tax_exempt,
                appointment=a,
                therapist=a.therapist,
                service=a.service,
                service_date=local.date(),
                cpt_code=price.cpt_code,
                minutes=_minutes(a),
            )
        )
    unknown = set(discounts) - {a.pk for a in appointments}
    for pk in unknown:
        errors[f"discounts[{pk}]"] = "this visit is not being checked out"
    if errors:
        raise FieldErrors(errors)
    return drafts, draws


def fee_drafts(fees: list[Fee]) -> list[LineDraft]:
    return [
        LineDraft(
            kind=InvoiceLine.Kind.FEE,
            description=f"{fee.get_kind_display()} fee, {fee.appointment.starts_at:%d %b %Y}",
            unit_price=fee.amount,
            taxable=False,
            appointment=fee.appointment,
            fee=fee,
        )
        for fee in fees
    ]


@transaction.atomic
def invoice_checkout(
    *,
    actor: User,
    client: Client,
    appointment_ids: list[int],
    discounts: list[DiscountIn] | None = None,
    course_id: int | None = None,
    include_fees: bool = True,
    tip: Decimal = ZERO,
    payments: list[dict[str, object]] | None = None,
    note: str = "",
) -> Invoice:
    """Check out one or several visits of a client: an invoice with a line per visit (its price, a discount
    with a reason, or a session drawn from a course), the client's fees still to invoice, a tip where the
    clinic allows them, and the payments taken now. One transaction: all of it, or nothing."""
    require_billing(actor)
    if not appointment_ids:
        raise FieldErrors({"appointment_ids": "choose at least one visit to check out"})
    if len(set(appointment_ids)) != len(appointment_ids):
        raise FieldErrors({"appointment_ids": "a visit is listed twice"})
    locked = {
        a.pk: a
        for a in Appointment.objects.select_for_update(of=("self",))
        .select_related("service", "therapist")
        .filter(pk__in=appointment_ids, clinic_id=client.clinic_id)
    }
    missing = [i for i, pk in enumerate(appointment_ids) if pk not in locked]
    if missing:
        raise FieldErrors({f"appointment_ids[{i}]": "no such visit in this clinic" for i in missing})
    appointments = [locked[pk] for pk in appointment_ids]
    course = None
    if course_id is not None:
        course = (
            Course.objects.select_for_update()
            .select_related("service")
            .filter(pk=course_id, client=client)
            .first()
        )
        if course is None:
            raise FieldErrors({"course_id": "no such course of this client"})
    by_visit = {d.appointment_id: d for d in (discounts or [])}
    drafts, draws = _session_drafts(
        client=client, appointments=appointments, discounts=by_visit, course=course
    )
    if include_fees:
        drafts += fee_drafts(
            list(Fee.objects.select_for_update().filter(client=client, status=Fee.Status.PENDING))
        )
    if tip:
        settings = billing_settings_for(client.clinic)
        if not settings.tips_allowed:
            raise FieldErrors({"tip": "this clinic does not take tips"})
        if tip < 0:
            raise FieldErrors({"tip": "a tip cannot be negative"})
        if tip != round_amount(tip, client.clinic.currency):
            # issue() would round it to the minor unit: the line would not be the tip the client gave
            raise FieldErrors(
                {"tip": f"the tip has more decimal places than {client.clinic.currency} allows"}
            )
        drafts.append(
            LineDraft(
                kind=InvoiceLine.Kind.TIP,
                description=f"Tip for {appointments[0].therapist.display_name}",
                unit_price=tip,
                taxable=False,
                therapist=appointments[0].therapist,
            )
        )
    invoice = issue(actor=actor, client=client, drafts=drafts, note=note)
    if course is not None and draws:
        course.sessions_used += len(draws)
        if course.remaining == 0:
            course.status = Course.Status.USED
        course.save(update_fields=["sessions_used", "status"])
        drawn = sum((amount for _c, amount in draws), ZERO)
        if drawn > 0:
            payment_record_locked(
                actor=actor, invoice=invoice, method=Payment.Method.COURSE, amount=drawn, course=course
            )
        audit_record(actor=actor, action="update", obj=course, summary=f"{len(draws)} session(s) drawn")
    for i, p in enumerate(payments or []):
        try:
            payment_record_locked(actor=actor, invoice=invoice, **p)  # type: ignore[arg-type]
        except FieldErrors as exc:
            raise FieldErrors({f"payments[{i}].{k}": v for k, v in exc.errors.items()}) from exc
    if billing_settings_for(client.clinic).email_at_checkout and client.email:
        # the clinic's setting (on unless turned off): the receipt when paid in full, else the invoice, sent by
        # the job queue once this transaction commits
        invoice_send(actor=actor, invoice=invoice, receipt=invoice_balance(invoice) <= 0)
    return invoice


@transaction.atomic
def invoice_for_fee(*, actor: User, fee: Fee) -> Invoice:
    """An invoice for one pending fee on its own (a no-show the client will not come back after)."""
    require_billing(actor)
    fee = Fee.objects.select_for_update().select_related("appointment", "client").get(pk=fee.pk)
    if fee.status != Fee.Status.PENDING:
        raise FieldErrors({"fee": f"this fee is {fee.get_status_display().lower()}"})
    return issue(actor=actor, client=fee.client, drafts=fee_drafts([fee]))


@transaction.atomic
def invoice_void(*, actor: User, invoice: Invoice, reason: str) -> Invoice:
    """Void an issued invoice with a reason (admins). Money received must be refunded first; sessions drawn
    from a course go back to it and fees on it wait to be invoiced again. Its number stays used."""
    require_billing_admin(actor)
    if not reason or not reason.strip():
        raise FieldErrors({"reason": "say why the invoice is voided"})
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.ISSUED:
        raise FieldErrors({"status": "this invoice is already void"})
    if invoice.credit_notes.filter(status=Invoice.Status.ISSUED).exists():
        raise FieldErrors({"status": "a credit note was issued against this invoice: void that first"})
    payments = list(invoice.payments.filter(status=Payment.Status.SUCCEEDED))
    held = sum(
        (p.signed_amount for p in payments if p.method != Payment.Method.COURSE),
        ZERO,
    )
    if held > 0:
        raise FieldErrors({"status": f"refund the {held} {invoice.currency} received first"})
    for line in invoice.lines.filter(kind=InvoiceLine.Kind.COURSE).select_related("course"):
        if line.course is not None:
            c = Course.objects.select_for_update().get(pk=line.course.pk)
            if c.sessions_used:
                raise FieldErrors({"status": "sessions of the course on this invoice were used already"})
            c.status = Course.Status.CANCELLED
            c.save(update_fields=["status"])
            audit_record(actor=actor, action="update", obj=c, summary="Cancelled: its invoice was voided")
    for card in GiftCard.objects.select_for_update().filter(invoice=invoice):
        if card.balance != card.amount:
            raise FieldErrors({"status": f"gift card …{card.last4} sold on this invoice was used already"})
        card.status = GiftCard.Status.CANCELLED
        card.save(update_fields=["status"])
        audit_record(actor=actor, action="update", obj=card, summary="Cancelled: its invoice was voided")
    refund_course_draws(actor=actor, invoice=invoice, reason=f"invoice voided: {reason.strip()}")
    for fee in Fee.objects.select_for_update().filter(invoice_line__invoice=invoice):
        fee.status, fee.invoice_line = Fee.Status.PENDING, None
        fee.save(update_fields=["status", "invoice_line"])
        audit_record(actor=actor, action="update", obj=fee, summary="Back to invoice: its invoice was voided")
    invoice.status = Invoice.Status.VOID
    invoice.void_reason = reason.strip()[:300]
    invoice.voided_at = timezone.now()
    invoice.voided_by = actor
    invoice.save(update_fields=list(Invoice.VOID_FIELDS))
    audit_record(actor=actor, action="update", obj=invoice, summary=f"Voided: {invoice.void_reason}")
    return invoice


@transaction.atomic
def invoice_credit(*, actor: User, invoice: Invoice, amount: Decimal, reason: str) -> Invoice:
    """A credit note against an issued invoice (admins): takes `amount` (tax included) off what the client
    owes; any overpayment can then be refunded. Numbered in the same sequence."""
    require_billing_admin(actor)
    errors: dict[str, str] = {}
    if not reason or not reason.strip():
        errors["reason"] = "say why the credit is given"
    invoice = Invoice.objects.select_for_update().select_related("client__clinic").get(pk=invoice.pk)
    if invoice.status != Invoice.Status.ISSUED or invoice.kind != Invoice.Kind.INVOICE:
        errors["invoice"] = "only an issued invoice can be credited"
    creditable = invoice.total - invoice_credited(invoice)
    if amount is None or amount <= 0 or amount > creditable:
        errors["amount"] = f"a credit is more than 0 and at most {creditable} {invoice.currency}"
    elif amount != round_amount(amount, invoice.currency):
        errors["amount"] = f"the amount has more decimal places than {invoice.currency} allows"
    if errors:
        raise FieldErrors(errors)
    # The tax part in the invoice's own proportion, so the credit note's tax adds up with the invoice's.
    tax = (
        round_amount(amount * invoice.tax_total / invoice.total, invoice.currency) if invoice.total else ZERO
    )
    return issue(
        actor=actor,
        client=invoice.client,
        kind=Invoice.Kind.CREDIT_NOTE,
        credits=invoice,
        note=reason,
        drafts=[
            LineDraft(
                kind=InvoiceLine.Kind.CREDIT,
                description=f"Credit against {invoice.display_number}: {reason.strip()}",
                unit_price=-(amount - tax),
                tax_override=-tax,
            )
        ],
    )


def invoice_outstanding(invoice: Invoice) -> Decimal:
    return invoice_balance(invoice)
