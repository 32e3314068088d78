"""Two desks redeem the same gift card at the same moment, on a real PostgreSQL server: the card's row is locked
(SELECT ... FOR UPDATE), so the second sees what the first left and the card is never overdrawn."""

from decimal import Decimal

import pytest
from django.db import connection

from nervecare.billing.models import GiftCard, Payment
from nervecare.billing.services.giftcards import gift_card_sell
from nervecare.billing.services.invoices import invoice_checkout
from nervecare.billing.services.payments import payment_record
from nervecare.billing.tests.factories import PriceFactory, visit
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.errors import FieldErrors
from nervecare.core.tests.factories import ClinicFactory, TherapistFactory, UserFactory
from nervecare.core.tests.test_audit_concurrency import run_concurrently
from nervecare.scheduling.tests.factories import ServiceFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a real multi-connection server (run with DATABASE_URL=postgres://…)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


def test_concurrent_redemptions_of_one_card_never_overdraw_it():
    clinic = ClinicFactory(slug="giftrush", currency="USD")
    desk = UserFactory(username="desk-gift", clinic=clinic, role="front_desk")
    therapist = TherapistFactory(
        user=UserFactory(username="t-gift", clinic=clinic, role="therapist"), clinic=clinic
    )
    service = ServiceFactory(clinic=clinic)
    PriceFactory(service=service, amount=Decimal("80.00"))
    buyer = ClientFactory(clinic=clinic, email="")
    card, _ = gift_card_sell(
        actor=desk,
        client=buyer,
        amount=Decimal("200.00"),
        payments=[{"method": "cash", "amount": Decimal("200.00")}],
    )
    invoices = []
    for i in range(THREADS):
        client = ClientFactory(clinic=clinic, first_name=f"G{i}", email="")
        v = visit(client=client, therapist=therapist, service=service, days_ago=i + 1)
        invoices.append(invoice_checkout(actor=desk, client=client, appointment_ids=[v.id]))
    refused: list[str] = []

    def redeem(i: int) -> None:
        try:
            payment_record(
                actor=desk,
                invoice=invoices[i],
                method="gift_card",
                amount=Decimal("60.00"),
                reference=card.code,
            )
        except FieldErrors as exc:
            refused.append(exc.errors["amount"])

    errors = run_concurrently(redeem, THREADS)
    assert not errors, errors
    card.refresh_from_db()
    taken = Payment.objects.filter(gift_card=card, kind="payment")
    assert taken.count() == 3  # 3 × 60 of 200; the other five were refused
    assert len(refused) == THREADS - 3 and all("left" in message for message in refused)
    assert card.balance == Decimal("20.00") == card.amount - sum(p.amount for p in taken)
    assert GiftCard.objects.get(pk=card.pk).balance >= 0
