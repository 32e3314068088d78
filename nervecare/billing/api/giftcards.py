"""Gift cards: sell one (the desk and admins), look one up by its code, see its balance and what it paid, and
the books' gift-card liabilities (admins). Redeeming is a payment with method `gift_card` and the code as
`reference` (POST /billing/invoices/{id}/payments, or check-out's payments); refunding it is an admin's
refund of that payment, which puts the amount back on the card."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Schema, Status

from nervecare.billing import reports, selectors
from nervecare.billing.api.common import _payments, gift_card_out, invoice_out, router
from nervecare.billing.models import GiftCard
from nervecare.billing.schemas import (
    GiftCardDetailOut,
    GiftCardIn,
    GiftCardLiabilitiesOut,
    GiftCardOut,
    SoldGiftCardOut,
)
from nervecare.billing.services import giftcards
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.permissions import clinic_of, require_billing_admin
from nervecare.core.request_types import AuthedHttpRequest


@router.post(
    "/billing/clients/{client_id}/gift-cards",
    response={201: SoldGiftCardOut, **error_responses(404, *BODY)},
    summary="Sell a gift card to a client (its invoice, and the payments taken now)",
)
def sell_gift_card(request: AuthedHttpRequest, client_id: int, payload: GiftCardIn) -> Status:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    data = payload.model_dump()
    data["payments"] = _payments(payload.payments)
    card, invoice = giftcards.gift_card_sell(actor=request.user, client=client, **data)
    return Status(201, {"gift_card": gift_card_out(card), "invoice": invoice_out(invoice)})


class GiftCardFilter(Schema):
    code: str = Field("", max_length=40, description="a code as typed (case, spaces and dashes ignored)")
    client_id: int | None = Field(None, ge=1, le=2**31 - 1)


@router.get(
    "/billing/gift-cards",
    response={200: list[GiftCardOut], **error_responses()},
    summary="The clinic's gift cards, or the one with a code (the desk and admins)",
)
def list_gift_cards(request: AuthedHttpRequest, filters: Query[GiftCardFilter]) -> list[dict[str, Any]]:
    if filters.code:
        found = selectors.gift_card_find(request.user, filters.code)
        cards = [found] if found else []
    else:
        qs = selectors.gift_cards_visible_to(request.user)
        if filters.client_id is not None:
            qs = qs.filter(client_id=filters.client_id)
        cards = list(qs[:500])
    audit_list(request.user, GiftCard, [c.pk for c in cards], summary="Gift cards listed (API)")
    return [gift_card_out(c) for c in cards]


@router.get(
    "/billing/gift-cards/{gift_card_id}",
    response={200: GiftCardDetailOut, **error_responses(404)},
    summary="A gift card: its balance and the payments it made (and refunds put back on it)",
)
def get_gift_card(request: AuthedHttpRequest, gift_card_id: int) -> dict[str, Any]:
    card = selectors.gift_card_get_for_user(request.user, gift_card_id)
    audit_view(request.user, card)
    return {**gift_card_out(card), "payments": selectors.gift_card_payments(card)}


@router.get(
    "/billing/reports/gift-card-liabilities",
    response={200: GiftCardLiabilitiesOut, **error_responses()},
    summary="What the clinic owes on gift cards: each card's balance (admins)",
)
def report_gift_cards(request: AuthedHttpRequest) -> dict[str, Any]:
    require_billing_admin(request.user)
    return reports.gift_card_liabilities(clinic_of(request.user))
