"""Amounts finer than the currency's minor unit are refused by field everywhere money enters, never rounded
quietly: in yen (no minor unit) a tip, a discount or a credit of 0.50 would otherwise become a line of 1 yen
(or a fraction of a yen stored), and the invoice would not say what the desk typed."""

from decimal import Decimal

import pytest

from nervecare.billing.models import Invoice, InvoiceLine
from nervecare.billing.services.invoices import DiscountIn, invoice_checkout, invoice_credit
from nervecare.core.errors import FieldErrors

pytestmark = pytest.mark.django_db


@pytest.fixture
def yen(shop):
    shop.clinic.currency = "JPY"
    shop.clinic.save()
    shop.price.amount, shop.price.currency = Decimal("9000"), "JPY"
    shop.price.save()
    shop.client.clinic.refresh_from_db()
    return shop


def test_a_tip_finer_than_a_yen_is_refused_and_nothing_is_written(yen):
    with pytest.raises(FieldErrors) as caught:
        invoice_checkout(
            actor=yen.desk, client=yen.client, appointment_ids=[yen.visits[0].pk], tip=Decimal("0.50")
        )
    assert "JPY" in caught.value.errors["tip"]
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_a_discount_finer_than_a_yen_is_refused(yen):
    a = yen.visits[0]
    with pytest.raises(FieldErrors) as caught:
        invoice_checkout(
            actor=yen.desk,
            client=yen.client,
            appointment_ids=[a.pk],
            discounts=[DiscountIn(appointment_id=a.pk, amount=Decimal("100.50"), reason="Loyal client")],
        )
    assert "JPY" in caught.value.errors[f"discounts[{a.pk}].amount"]
    assert not Invoice.objects.exists()


def test_a_credit_finer_than_a_yen_is_refused_and_a_whole_one_is_exact(yen):
    invoice = invoice_checkout(actor=yen.desk, client=yen.client, appointment_ids=[yen.visits[0].pk])
    with pytest.raises(FieldErrors) as caught:
        invoice_credit(actor=yen.admin, invoice=invoice, amount=Decimal("0.50"), reason="Goodwill")
    assert "JPY" in caught.value.errors["amount"]
    assert Invoice.objects.count() == 1
    note = invoice_credit(actor=yen.admin, invoice=invoice, amount=Decimal("990"), reason="Goodwill")
    assert note.total == Decimal("-990")


def test_an_invoice_larger_than_the_columns_hold_is_refused_by_field_and_nothing_is_written(shop):
    """A price at the form's limit plus 10% tax is 13 digits: PostgreSQL refused the row with a 500."""
    shop.price.amount = Decimal("9999999999.99")
    shop.price.save()
    with pytest.raises(FieldErrors) as caught:
        invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].pk])
    assert "more than one invoice can record" in caught.value.errors["total"]
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()

    from nervecare.conftest import login

    response = login(shop.desk).post(
        "/api/v1/billing/checkout",
        {"client_id": shop.client.id, "appointment_ids": [shop.visits[0].pk]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "total"
    assert not Invoice.objects.exists()
