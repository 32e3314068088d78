"""Invoice numbers under concurrent check-outs on a real PostgreSQL server: no gap, no duplicate.

Many threads (each its own connection) check out at once, some of them refused half-way (a payment larger
than due): the refused ones roll back their number with them, so the issued numbers are exactly 1..N."""

from decimal import Decimal

import pytest
from django.db import connection

from nervecare.billing.models import Invoice
from nervecare.billing.services.invoices import invoice_checkout
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
PER_THREAD = 6


def test_concurrent_checkouts_number_invoices_without_gap_or_duplicate():
    clinic = ClinicFactory(slug="busy", currency="USD")
    desk = UserFactory(username="desk-busy", clinic=clinic, role="front_desk")
    therapist = TherapistFactory(
        user=UserFactory(username="t-busy", clinic=clinic, role="therapist"), clinic=clinic
    )
    service = ServiceFactory(clinic=clinic)
    PriceFactory(service=service, amount=Decimal("80.00"))
    work = []
    for i in range(THREADS):
        client = ClientFactory(clinic=clinic, first_name=f"C{i}")
        work.append(
            [
                visit(client=client, therapist=therapist, service=service, days_ago=i * PER_THREAD + j + 1)
                for j in range(PER_THREAD)
            ]
        )
    refused = []

    def checkout_all(i: int) -> None:
        for j, appointment in enumerate(work[i]):
            # every third check-out fails after its number was taken (payment above what is due)
            amount = Decimal("500.00") if j % 3 == 2 else Decimal("80.00")
            try:
                invoice_checkout(
                    actor=desk,
                    client=appointment.client,
                    appointment_ids=[appointment.id],
                    payments=[{"method": "cash", "amount": amount}],
                )
            except FieldErrors:
                refused.append(appointment.id)

    errors = run_concurrently(checkout_all, THREADS)
    assert not errors, errors
    numbers = sorted(Invoice.objects.filter(clinic=clinic).values_list("number", flat=True))
    issued = THREADS * PER_THREAD - len(refused)
    assert len(refused) == THREADS * (PER_THREAD // 3)
    assert numbers == list(range(1, issued + 1))  # no gap, no duplicate
