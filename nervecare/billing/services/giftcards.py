"""Gift cards: the sale (an invoice line, untaxed: tax is charged on the sessions the card later pays for) and
the code. Redeeming one is a payment by gift card (payments.py draws the balance down with the card locked);
refunding that payment restores the balance; voiding the sale cancels a card not used yet."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from nervecare.billing.giftcode import new_code
from nervecare.billing.models import GiftCard, Invoice, InvoiceLine
from nervecare.billing.money import round_amount
from nervecare.billing.selectors import clinic_zone
from nervecare.billing.services.invoices import LineDraft, issue
from nervecare.billing.services.payments import payment_record_locked
from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_billing
from nervecare.core.services import audit_record

MAX_AMOUNT = Decimal("10000.00")


@transaction.atomic
def gift_card_sell(
    *,
    actor: User,
    client: Client,
    amount: Decimal,
    expires_on: datetime.date | None = None,
    recipient_name: str = "",
    payments: list[dict[str, object]] | None = None,
) -> tuple[GiftCard, Invoice]:
    """Sell a gift card worth `amount` to `client` (who pays; anyone may redeem it with the code): the card,
    the invoice with it on it (a liability in the books until redeemed), and the payments taken now. The desk
    and admins. The card can be redeemed once its invoice is paid in full."""
    require_billing(actor)
    currency = client.clinic.currency
    errors: dict[str, str] = {}
    if amount is None or amount <= 0:
        errors["amount"] = "a gift card is worth more than 0"
    elif amount > MAX_AMOUNT:
        errors["amount"] = f"a gift card is worth at most {MAX_AMOUNT} {currency}"
    elif amount != round_amount(amount, currency):
        errors["amount"] = f"the amount has more decimal places than {currency} allows"
    today = timezone.localdate(timezone=clinic_zone(client.clinic))
    if expires_on is not None and expires_on <= today:
        errors["expires_on"] = "the expiry date must be after today"
    for i, p in enumerate(payments or []):
        if p.get("method") == "gift_card":
            errors[f"payments[{i}].method"] = "a gift card is not paid for with another gift card"
    if errors:
        raise FieldErrors(errors)
    code = new_code()
    while GiftCard.objects.filter(code=code).exists():  # 25**12 codes: a clash is all but impossible
        code = new_code()
    card = GiftCard.objects.create(
        clinic_id=client.clinic_id,
        client=client,
        code=code,
        amount=amount,
        balance=amount,
        currency=currency,
        expires_on=expires_on,
        recipient_name=recipient_name.strip()[:120],
        sold_at=timezone.now(),
        sold_by=actor,
    )
    label = f"Gift card …{card.last4}" + (f" for {card.recipient_name}" if card.recipient_name else "")
    if expires_on:
        label += f", valid until {expires_on:%d %B %Y}"
    invoice = issue(
        actor=actor,
        client=client,
        drafts=[
            LineDraft(kind=InvoiceLine.Kind.GIFT_CARD, description=label, unit_price=amount, taxable=False)
        ],
    )
    card.invoice = invoice
    card.save(update_fields=["invoice"])
    audit_record(
        actor=actor,
        action="create",
        obj=card,
        summary=f"Gift card …{card.last4} sold for {amount} {currency}",
    )
    for i, p in enumerate(payments or []):
        try:
            payment_record_locked(actor=actor, invoice=invoice, **p)  # type: ignore[arg-type]
        except FieldErrors as exc:
            raise FieldErrors({f"payments[{i}].{k}": v for k, v in exc.errors.items()}) from exc
    return card, invoice
