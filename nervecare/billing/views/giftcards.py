"""Gift-card pages: sell one on a client's account (the desk and admins), look one up by its code and see its
balance and what it paid. Redeeming is a payment by gift card on an invoice or at check-out."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from nervecare.billing import selectors
from nervecare.billing.forms import GiftCardForm, GiftCardLookupForm
from nervecare.billing.models import GiftCard
from nervecare.billing.services import giftcards
from nervecare.billing.views.common import form_errors, payments_from
from nervecare.billing.views.desk import account_page
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest


@login_required
@require_POST
def gift_card_sell(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.billing_client_get_for_user(request.user, client_id)
    form = GiftCardForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            card, _invoice = giftcards.gift_card_sell(
                actor=request.user,
                client=client,
                amount=data["amount"],
                expires_on=data.get("expires_on"),
                recipient_name=data.get("recipient_name") or "",
                payments=payments_from(data),
            )
        except FieldErrors as exc:
            form_errors(form, exc.errors)
        else:
            return redirect("billing:gift_card", gift_card_id=card.pk)
    return account_page(request, client, gift_card_form=form)


@login_required
def gift_card_list(request: AuthedHttpRequest) -> HttpResponse:
    """Look a card up by its code (as typed), or the clinic's latest cards."""
    visible = selectors.gift_cards_visible_to(request.user)
    form = GiftCardLookupForm(request.GET or None)
    status = 200
    if form.is_valid():
        found = selectors.gift_card_find(request.user, form.cleaned_data["code"])
        if found is not None:
            return redirect("billing:gift_card", gift_card_id=found.pk)
        form.add_error("code", "No gift card of this clinic has this code.")
        status = 404
    cards = list(visible[:50])
    audit_list(request.user, GiftCard, [c.pk for c in cards], "Gift cards listed")
    return render(request, "billing/gift_cards.html", {"form": form, "cards": cards}, status=status)


@login_required
def gift_card_page(request: AuthedHttpRequest, gift_card_id: int) -> HttpResponse:
    card = selectors.gift_card_get_for_user(request.user, gift_card_id)
    audit_view(request.user, card)
    return render(
        request,
        "billing/gift_card.html",
        {
            "card": card,
            "not_usable_because": selectors.gift_card_usable(card),
            "payments": selectors.gift_card_payments(card),
        },
    )
