"""Payments (cash, card on the clinic's own terminal, bank transfer, gift card, a course session) and refunds.

A payment is recorded against an issued invoice, for at most what is still due (partial payments add up). A
card payment keeps at most the last four digits of the card (never the number). A refund is an admin's, with
a reason, to the original method, for at most what of that payment was not refunded yet. Online card
payment by a processor is not built: `processors.py` is the seam (its interface and the payment states).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from nervecare.billing.giftcode import normalise_code
from nervecare.billing.models import Course, GiftCard, Invoice, Payment
from nervecare.billing.money import ZERO, round_amount
from nervecare.billing.selectors import clinic_zone, invoice_balance
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_billing, require_billing_admin
from nervecare.core.services import audit_record

IN_PERSON = {
    Payment.Method.CASH,
    Payment.Method.CARD,
    Payment.Method.BANK_TRANSFER,
    Payment.Method.GIFT_CARD,
}
LAST4 = re.compile(r"^[0-9]{4}$")


def _validate(*, invoice: Invoice, method: str, amount: Decimal, card_last4: str, reference: str) -> None:
    errors: dict[str, str] = {}
    if method == Payment.Method.ONLINE:
        errors["method"] = "online card payment is not set up for this clinic"
    elif method == Payment.Method.COURSE:
        errors["method"] = "a course session is drawn at check-out (choose the course there)"
    elif method not in IN_PERSON:
        errors["method"] = "choose cash, card, bank transfer or gift card"
    if card_last4 and method != Payment.Method.CARD:
        errors["card_last4"] = "only a card payment has card digits"
    elif card_last4 and not LAST4.match(card_last4):
        errors["card_last4"] = (
            "enter the last four digits of the card only (4 digits), never the whole number"
        )
    if method == Payment.Method.GIFT_CARD and not reference.strip():
        errors["reference"] = "enter the gift card's code"
    if amount is None or amount <= 0:
        errors["amount"] = "the amount must be more than 0"
    elif amount != round_amount(amount, invoice.currency):
        errors["amount"] = f"the amount has more decimal places than {invoice.currency} allows"
    if invoice.status != Invoice.Status.ISSUED:
        errors["invoice"] = "a void invoice takes no payment"
    elif invoice.kind != Invoice.Kind.INVOICE:
        errors["invoice"] = "a credit note takes no payment"
    elif "amount" not in errors:
        due = invoice_balance(invoice)
        if amount > due:
            errors["amount"] = (
                f"only {due} {invoice.currency} is due on {invoice.display_number}"
                if due > 0
                else f"nothing is due on {invoice.display_number}"
            )
    if errors:
        raise FieldErrors(errors)


def _gift_card_locked(*, invoice: Invoice, code: str, amount: Decimal) -> GiftCard:
    """The gift card with this code at the invoice's clinic, locked (SELECT ... FOR UPDATE) so that two
    redemptions at once queue here and the second sees the balance the first left; refused with the field
    at fault when it cannot pay `amount`. Another clinic's card reads as no card (its code says nothing)."""
    card = (
        GiftCard.objects.select_for_update(of=("self",))
        .select_related("invoice")
        .filter(code=normalise_code(code), clinic_id=invoice.clinic_id)
        .first()
    )
    if card is None:
        raise FieldErrors({"reference": "no gift card of this clinic has this code"})
    today = timezone.localdate(timezone=clinic_zone(invoice.clinic))
    if card.status != GiftCard.Status.ACTIVE:
        raise FieldErrors({"reference": f"gift card …{card.last4} was cancelled"})
    if card.expires_on is not None and card.expires_on < today:
        raise FieldErrors({"reference": f"gift card …{card.last4} expired on {card.expires_on:%d %B %Y}"})
    if card.invoice_id == invoice.pk:
        raise FieldErrors({"reference": "a gift card cannot pay for its own sale"})
    if card.invoice is not None and invoice_balance(card.invoice) > 0:
        raise FieldErrors(
            {"reference": f"gift card …{card.last4} is not paid for yet ({card.invoice.display_number})"}
        )
    if card.currency != invoice.currency:
        raise FieldErrors(
            {"reference": f"gift card …{card.last4} is in {card.currency}, not {invoice.currency}"}
        )
    if amount > card.balance:
        raise FieldErrors(
            {
                "amount": f"gift card …{card.last4} has {card.balance} {card.currency} left"
                if card.balance > 0
                else f"gift card …{card.last4} is used up"
            }
        )
    return card


def payment_record_locked(
    *,
    actor: User,
    invoice: Invoice,
    method: str,
    amount: Decimal,
    card_last4: str = "",
    reference: str = "",
    course: Course | None = None,
) -> Payment:
    """Record a payment inside the caller's transaction (the invoice row locked by the caller or just made)."""
    if method != Payment.Method.COURSE:
        _validate(invoice=invoice, method=method, amount=amount, card_last4=card_last4, reference=reference)
    gift_card = None
    if method == Payment.Method.GIFT_CARD:
        gift_card = _gift_card_locked(invoice=invoice, code=reference, amount=amount)
        gift_card.balance -= amount
        gift_card.save(update_fields=["balance"])
        # the code is the card's credential: receipts and the journal show its last four characters only
        reference = f"gift card …{gift_card.last4}"
        audit_record(
            actor=actor,
            action="update",
            obj=gift_card,
            summary=f"Redeemed {amount} {invoice.currency} on {invoice.display_number}",
            changes={"balance": [str(gift_card.balance + amount), str(gift_card.balance)]},
        )
    payment = Payment.objects.create(
        clinic_id=invoice.clinic_id,
        client_id=invoice.client_id,
        invoice=invoice,
        method=method,
        amount=amount,
        currency=invoice.currency,
        card_last4=card_last4,
        reference=reference.strip()[:80],
        course=course,
        gift_card=gift_card,
        received_at=timezone.now(),
        received_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=payment,
        summary=f"Payment {amount} {invoice.currency} ({payment.get_method_display()}) on {invoice.display_number}",
    )
    return payment


@transaction.atomic
def payment_record(
    *,
    actor: User,
    invoice: Invoice,
    method: str,
    amount: Decimal,
    card_last4: str = "",
    reference: str = "",
) -> Payment:
    """Take a payment (or part of one) on an issued invoice: the desk and admins."""
    require_billing(actor)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    return payment_record_locked(
        actor=actor, invoice=invoice, method=method, amount=amount, card_last4=card_last4, reference=reference
    )


def refunded_of(payment: Payment) -> Decimal:
    return Payment.objects.filter(refund_of=payment).aggregate(s=Sum("amount"))["s"] or ZERO


@transaction.atomic
def payment_refund(*, actor: User, payment: Payment, amount: Decimal, reason: str) -> Payment:
    """Refund (part of) a payment to its original method, with a reason: admins only."""
    require_billing_admin(actor)
    payment = Payment.objects.select_for_update().select_related("invoice").get(pk=payment.pk)
    errors: dict[str, str] = {}
    if not reason or not reason.strip():
        errors["reason"] = "say why the money is refunded"
    if payment.kind != Payment.Kind.PAYMENT or payment.status != Payment.Status.SUCCEEDED:
        errors["payment"] = "only a received payment can be refunded"
    elif payment.method == Payment.Method.COURSE:
        errors["payment"] = "a course session goes back to the course when its invoice is voided"
    left = payment.amount - refunded_of(payment)
    if amount is None or amount <= 0 or amount > left:
        errors["amount"] = f"a refund is more than 0 and at most {left} {payment.currency}"
    elif amount != round_amount(amount, payment.currency):
        errors["amount"] = f"the amount has more decimal places than {payment.currency} allows"
    if errors:
        raise FieldErrors(errors)
    if payment.gift_card_id is not None:
        # back onto the card it came from (the card's row locked, like a redemption)
        card = GiftCard.objects.select_for_update().get(pk=payment.gift_card_id)
        card.balance += amount
        card.save(update_fields=["balance"])
        audit_record(
            actor=actor,
            action="update",
            obj=card,
            summary=f"Refund of {amount} {card.currency} put back on the card: {reason.strip()[:200]}",
            changes={"balance": [str(card.balance - amount), str(card.balance)]},
        )
    refund = Payment.objects.create(
        clinic_id=payment.clinic_id,
        client_id=payment.client_id,
        invoice=payment.invoice,
        kind=Payment.Kind.REFUND,
        method=payment.method,
        amount=amount,
        currency=payment.currency,
        card_last4=payment.card_last4,
        reference=payment.reference,
        gift_card_id=payment.gift_card_id,
        refund_of=payment,
        reason=reason.strip()[:300],
        received_at=timezone.now(),
        received_by=actor,
    )
    audit_record(
        actor=actor,
        action="create",
        obj=refund,
        summary=f"Refund {amount} {payment.currency} ({payment.get_method_display()}): {refund.reason}",
    )
    return refund


def refund_course_draws(*, actor: User, invoice: Invoice, reason: str) -> None:
    """When an invoice paid by course sessions is voided: the sessions go back to the course (a course
    refund row each, so the books show it) — inside the caller's transaction."""
    for payment in invoice.payments.filter(
        method=Payment.Method.COURSE, kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED
    ).select_related("course"):
        left = payment.amount - refunded_of(payment)
        if left > 0:
            Payment.objects.create(
                clinic_id=payment.clinic_id,
                client_id=payment.client_id,
                invoice=invoice,
                kind=Payment.Kind.REFUND,
                method=Payment.Method.COURSE,
                amount=left,
                currency=payment.currency,
                course=payment.course,
                refund_of=payment,
                reason=reason[:300],
                received_at=timezone.now(),
                received_by=actor,
            )
    from nervecare.billing.models import InvoiceLine

    per_course: dict[int, int] = {}
    for line in invoice.lines.filter(kind=InvoiceLine.Kind.SERVICE, course__isnull=False):
        assert line.course_id is not None
        per_course[line.course_id] = per_course.get(line.course_id, 0) + 1
    for course_id, sessions in per_course.items():
        course = Course.objects.select_for_update().get(pk=course_id)
        course.sessions_used = max(0, course.sessions_used - sessions)
        if course.status == Course.Status.USED and course.remaining > 0:
            course.status = Course.Status.ACTIVE
        course.save(update_fields=["sessions_used", "status"])
        audit_record(actor=actor, action="update", obj=course, summary=f"{sessions} session(s) returned")
