"""Check-out: an invoice per visit(s) with prices, tax, discounts with a reason, fees, tips and payments."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from nervecare.billing.models import Invoice, InvoiceLine, Payment
from nervecare.billing.selectors import client_balance, invoice_balance
from nervecare.billing.services.invoices import DiscountIn, invoice_checkout
from nervecare.billing.services.payments import payment_record, payment_refund
from nervecare.billing.tests.factories import PriceFactory, visit
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db
D = Decimal


def test_checkout_of_two_visits_with_a_discount_and_a_partial_payment(shop):
    a, b = shop.visits
    invoice = invoice_checkout(
        actor=shop.desk,
        client=shop.client,
        appointment_ids=[a.id, b.id],
        discounts=[DiscountIn(appointment_id=b.id, amount=D("10.00"), reason="loyalty")],
        payments=[{"method": "card", "amount": D("100.00"), "card_last4": "4242"}],
    )
    assert invoice.number == 1 and invoice.display_number == "INV-000001"
    assert (invoice.subtotal, invoice.discount_total) == (D("180.00"), D("10.00"))
    assert invoice.tax_total == D("17.00")  # 10% of 90 + 10% of 80
    assert invoice.total == D("187.00")
    lines = list(invoice.lines.all())
    assert [line.units for line in lines] == [4, 4]  # 60 minutes of 97124: four 15-minute units
    assert lines[1].discount_reason == "loyalty"
    assert invoice_balance(invoice) == D("87.00")
    payment_record(actor=shop.desk, invoice=invoice, method="cash", amount=D("87.00"))
    assert invoice_balance(invoice) == D("0.00")
    assert client_balance(shop.client) == D("0.00")
    assert AuditEvent.objects.filter(object_type="billing.invoice", object_id=str(invoice.id)).exists()


def test_a_therapists_own_price_wins_and_an_exempt_service_is_not_taxed(shop):
    PriceFactory(service=shop.service, therapist=shop.therapist, amount=D("120.00"), tax_exempt=True)
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("120.00"), D("0.00"), D("120.00"))


def test_a_visit_is_invoiced_once_and_bad_input_names_the_field(shop):
    a, b = shop.visits
    invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[a.id])
    with pytest.raises(FieldErrors) as exc:
        invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[a.id])
    assert "already on an invoice" in exc.value.errors["appointment_ids[0]"]
    with pytest.raises(FieldErrors) as exc:
        invoice_checkout(
            actor=shop.desk,
            client=shop.client,
            appointment_ids=[b.id],
            discounts=[DiscountIn(appointment_id=b.id, amount=D("5"), reason=" ")],
        )
    assert f"discounts[{b.id}].reason" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        invoice_checkout(
            actor=shop.desk,
            client=shop.client,
            appointment_ids=[b.id],
            payments=[{"method": "card", "amount": D("10"), "card_last4": "4242424242424242"}],
        )
    assert "last four digits" in exc.value.errors["payments[0].card_last4"]
    # nothing of the refused check-outs was written: the sequence has no gap
    assert list(Invoice.objects.values_list("number", flat=True)) == [1]


def test_a_booked_visit_cannot_be_checked_out_and_a_therapist_may_not(shop):
    booked = visit(
        client=shop.client, therapist=shop.therapist, service=shop.service, days_ago=-2, status="booked"
    )
    with pytest.raises(FieldErrors):
        invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[booked.id])
    with pytest.raises(PermissionDenied):
        invoice_checkout(actor=shop.therapist_user, client=shop.client, appointment_ids=[shop.visits[0].id])


def test_overpaying_is_refused_and_a_refund_goes_to_the_original_method(shop):
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    assert invoice.total == D("99.00")
    with pytest.raises(FieldErrors) as exc:
        payment_record(actor=shop.desk, invoice=invoice, method="cash", amount=D("99.01"))
    assert "99.00" in exc.value.errors["amount"]
    paid = payment_record(
        actor=shop.desk, invoice=invoice, method="card", amount=D("99.00"), card_last4="1234"
    )
    with pytest.raises(PermissionDenied):
        payment_refund(actor=shop.desk, payment=paid, amount=D("10"), reason="sore")
    with pytest.raises(FieldErrors) as exc:
        payment_refund(actor=shop.admin, payment=paid, amount=D("10"), reason="")
    assert "reason" in exc.value.errors
    refund = payment_refund(actor=shop.admin, payment=paid, amount=D("20.00"), reason="session cut short")
    assert (refund.method, refund.card_last4, refund.kind) == ("card", "1234", "refund")
    assert invoice_balance(invoice) == D("20.00")
    with pytest.raises(FieldErrors):
        payment_refund(actor=shop.admin, payment=paid, amount=D("79.01"), reason="too much")


def test_tips_only_where_the_clinic_allows(shop):
    invoice = invoice_checkout(
        actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id], tip=D("15.00")
    )
    tip = invoice.lines.get(kind=InvoiceLine.Kind.TIP)
    assert (tip.total, tip.tax) == (D("15.00"), D("0.00"))
    shop.clinic.billing_settings.tips_allowed = False
    shop.clinic.billing_settings.save()
    with pytest.raises(FieldErrors) as exc:
        invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[1].id], tip=D("5"))
    assert "tip" in exc.value.errors


def test_online_payment_is_a_seam_not_a_method_yet(shop):
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    with pytest.raises(FieldErrors) as exc:
        payment_record(actor=shop.desk, invoice=invoice, method="online", amount=D("10"))
    assert "not set up" in exc.value.errors["method"]
    assert not Payment.objects.exists()
