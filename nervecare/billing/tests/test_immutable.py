"""Issued invoices, lines and payments are never edited or deleted: the model refuses, and so does the
database (triggers) when the model is bypassed. Void with a reason, or a credit note."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction

from nervecare.billing.models import ImmutableRecordError, Invoice, InvoiceLine, Payment
from nervecare.billing.selectors import client_balance, invoice_balance
from nervecare.billing.services.invoices import invoice_checkout, invoice_credit, invoice_void
from nervecare.billing.services.payments import payment_record, payment_refund
from nervecare.core.errors import FieldErrors

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def invoice(shop):
    return invoice_checkout(
        actor=shop.desk,
        client=shop.client,
        appointment_ids=[shop.visits[0].id],
        payments=[{"method": "cash", "amount": D("50.00")}],
    )


def test_the_model_refuses_edits_and_deletes(invoice):
    invoice.total = D("1.00")
    with pytest.raises(ImmutableRecordError):
        invoice.save()
    with pytest.raises(ImmutableRecordError):
        invoice.delete()
    with pytest.raises(ImmutableRecordError):
        Invoice.objects.filter(pk=invoice.pk).update(total=D("1.00"))
    with pytest.raises(ImmutableRecordError):
        InvoiceLine.objects.filter(invoice=invoice).delete()
    line = invoice.lines.first()
    line.unit_price = D("0")
    with pytest.raises(ImmutableRecordError):
        line.save()
    with pytest.raises(ImmutableRecordError):
        Payment.objects.filter(invoice=invoice).update(amount=D("1"))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_invoice SET total = 1",
        "DELETE FROM billing_invoice",
        "UPDATE billing_invoiceline SET unit_price = 0",
        "DELETE FROM billing_invoiceline",
        "UPDATE billing_payment SET amount = 1",
        "DELETE FROM billing_payment",
    ],
)
def test_the_database_refuses_what_bypasses_the_model(invoice, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    invoice.refresh_from_db()
    assert invoice.total == D("99.00") and invoice.lines.count() == 1 and invoice.payments.count() == 1


def test_void_needs_an_admin_a_reason_and_the_money_refunded_first(shop, invoice):
    with pytest.raises(PermissionDenied):
        invoice_void(actor=shop.desk, invoice=invoice, reason="wrong client")
    with pytest.raises(FieldErrors) as exc:
        invoice_void(actor=shop.admin, invoice=invoice, reason="")
    assert "reason" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        invoice_void(actor=shop.admin, invoice=invoice, reason="wrong client")
    assert "refund" in exc.value.errors["status"]
    payment_refund(actor=shop.admin, payment=invoice.payments.get(), amount=D("50.00"), reason="wrong client")
    voided = invoice_void(actor=shop.admin, invoice=invoice, reason="wrong client")
    assert voided.status == "void" and voided.void_reason == "wrong client"
    assert client_balance(shop.client) == D("0.00")
    # a void invoice stays void, takes no payment, and its number stays used
    with pytest.raises(FieldErrors):
        invoice_void(actor=shop.admin, invoice=voided, reason="again")
    with pytest.raises(FieldErrors):
        payment_record(actor=shop.desk, invoice=voided, method="cash", amount=D("1"))
    again = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    assert again.number == voided.number + 1


def test_a_credit_note_takes_off_part_of_an_invoice_in_the_same_sequence(shop, invoice):
    note = invoice_credit(actor=shop.admin, invoice=invoice, amount=D("22.00"), reason="shortened session")
    assert note.kind == "credit_note" and note.number == invoice.number + 1
    assert note.total == D("-22.00") and note.tax_total == D("-2.00")  # 99.00 has 9.00 tax: 2.00 of 22.00
    assert note.display_number.startswith("CN-")
    assert invoice_balance(invoice) == D("27.00")  # 99 - 22 credited - 50 paid
    assert client_balance(shop.client) == D("27.00")
    with pytest.raises(FieldErrors) as exc:
        invoice_credit(actor=shop.admin, invoice=invoice, amount=D("77.01"), reason="more")
    assert "77.00" in exc.value.errors["amount"]
    with pytest.raises(PermissionDenied):
        invoice_credit(actor=shop.desk, invoice=invoice, amount=D("1"), reason="x")


def test_a_client_with_invoices_is_not_erased(shop, invoice):
    import datetime

    from django.utils import timezone

    from nervecare.clients.models import Client
    from nervecare.ops.privacy import client_erase

    Client.all_objects.filter(pk=shop.client.pk).update(deleted_at=timezone.now())
    client = Client.all_objects.get(pk=shop.client.pk)
    with pytest.raises(FieldErrors) as exc:
        client_erase(actor=None, client=client, today=datetime.date(2100, 1, 1))
    assert "accounting records" in exc.value.errors["client"]
    assert Invoice.objects.filter(pk=invoice.pk).exists()
