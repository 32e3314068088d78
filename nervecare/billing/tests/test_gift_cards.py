"""Gift cards: sold on an invoice (a liability), redeemed in part as a payment method with a real balance,
refused when overdrawn, expired, cancelled, unpaid or another clinic's (each naming the field), refunds put
back on the card, the books and the journal show the liability; the API and who may do what."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from nervecare.billing import reports
from nervecare.billing.giftcode import normalise_code
from nervecare.billing.models import GiftCard, Payment
from nervecare.billing.services.giftcards import gift_card_sell
from nervecare.billing.services.invoices import invoice_checkout, invoice_void
from nervecare.billing.services.payments import payment_record, payment_refund
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import ClinicFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def paid_card(shop, amount="100.00", **kwargs):
    card, invoice = gift_card_sell(
        actor=shop.desk,
        client=shop.client,
        amount=D(amount),
        payments=[{"method": "cash", "amount": D(amount)}],
        **kwargs,
    )
    return card, invoice


def test_a_sold_card_pays_in_part_and_its_balance_goes_down(shop):
    card, sale = paid_card(shop)
    assert (sale.total, sale.tax_total) == (D("100.00"), D("0.00"))  # tax is charged on what it pays for
    assert sale.lines.get().kind == "gift_card" and card.code[-4:] in sale.lines.get().description
    assert card.code not in sale.lines.get().description  # the invoice shows the last four only
    invoice = invoice_checkout(
        actor=shop.desk, client=shop.client, appointment_ids=[v.id for v in shop.visits]
    )
    assert invoice.total == D("198.00")
    typed = card.code.lower().replace("-", " ")  # as read out over the phone
    paid = payment_record(
        actor=shop.desk, invoice=invoice, method="gift_card", amount=D("60.00"), reference=typed
    )
    card.refresh_from_db()
    assert card.balance == D("40.00") and paid.gift_card_id == card.pk
    assert paid.reference == f"gift card …{card.last4}"
    with pytest.raises(FieldErrors) as exc:
        payment_record(actor=shop.desk, invoice=invoice, method="gift_card", amount=D("39.00"), reference="x")
    assert exc.value.errors == {"reference": "no gift card of this clinic has this code"}
    with pytest.raises(FieldErrors) as exc:
        payment_record(
            actor=shop.desk, invoice=invoice, method="gift_card", amount=D("40.01"), reference=card.code
        )
    assert "has 40.00 USD left" in exc.value.errors["amount"]
    payment_record(
        actor=shop.desk, invoice=invoice, method="gift_card", amount=D("39.00"), reference=card.code
    )
    card.refresh_from_db()
    assert card.balance == D("1.00")
    assert AuditEvent.objects.filter(object_type="billing.giftcard", action="update").count() == 2


def test_refunding_a_gift_card_payment_puts_it_back_on_the_card(shop):
    card, _sale = paid_card(shop, amount="50.00")
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    paid = payment_record(
        actor=shop.desk, invoice=invoice, method="gift_card", amount=D("50.00"), reference=card.code
    )
    with pytest.raises(PermissionDenied):
        payment_refund(actor=shop.desk, payment=paid, amount=D("20.00"), reason="session cut short")
    refund = payment_refund(actor=shop.admin, payment=paid, amount=D("20.00"), reason="session cut short")
    card.refresh_from_db()
    assert card.balance == D("20.00") and refund.gift_card_id == card.pk and refund.method == "gift_card"
    # the balance always equals the card's value less what it paid plus what came back
    moved = sum((p.signed_amount for p in card.payments.all()), D("0"))
    assert card.balance == card.amount - moved


def test_expired_cancelled_unpaid_and_another_clinics_cards_are_refused(shop):
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])

    def pay(code, amount="10.00"):
        with pytest.raises(FieldErrors) as exc:
            payment_record(
                actor=shop.desk, invoice=invoice, method="gift_card", amount=D(amount), reference=code
            )
        return exc.value.errors

    unpaid, _ = gift_card_sell(actor=shop.desk, client=shop.client, amount=D("30.00"))
    assert "not paid for yet" in pay(unpaid.code)["reference"]
    expired, _ = paid_card(shop, amount="30.00", expires_on=timezone.localdate() + datetime.timedelta(days=5))
    GiftCard.objects.filter(pk=expired.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert "expired on" in pay(expired.code)["reference"]
    # another clinic's card with a balance: this clinic knows no such code
    other = ClinicFactory(slug="elsewhere", currency="USD")
    stranger = ClientFactory(clinic=other)
    desk2 = UserFactory(username="desk-elsewhere", clinic=other, role="front_desk")
    theirs, _ = gift_card_sell(
        actor=desk2, client=stranger, amount=D("80.00"), payments=[{"method": "cash", "amount": D("80.00")}]
    )
    assert pay(theirs.code) == {"reference": "no gift card of this clinic has this code"}
    # a voided sale cancels the card (its cash refunded first)
    cancelled, sale = paid_card(shop, amount="25.00")
    payment_refund(actor=shop.admin, payment=sale.payments.get(), amount=D("25.00"), reason="changed mind")
    invoice_void(actor=shop.admin, invoice=sale, reason="changed mind")
    cancelled.refresh_from_db()
    assert cancelled.status == "cancelled"
    assert "cancelled" in pay(cancelled.code)["reference"]
    # nothing was drawn from any card
    assert not Payment.objects.filter(method="gift_card").exists()


def test_a_used_card_cannot_be_voided_and_bad_sales_name_the_field(shop):
    card, sale = paid_card(shop, amount="30.00")
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    payment_record(
        actor=shop.desk, invoice=invoice, method="gift_card", amount=D("5.00"), reference=card.code
    )
    payment_refund(actor=shop.admin, payment=sale.payments.get(), amount=D("30.00"), reason="x")
    with pytest.raises(FieldErrors) as exc:
        invoice_void(actor=shop.admin, invoice=sale, reason="x")
    assert "used already" in exc.value.errors["status"]
    for kwargs, field in [
        ({"amount": D("0")}, "amount"),
        ({"amount": D("10.001")}, "amount"),
        ({"amount": D("10"), "expires_on": timezone.localdate()}, "expires_on"),
        (
            {
                "amount": D("10"),
                "payments": [{"method": "gift_card", "amount": D("10"), "reference": card.code}],
            },
            "payments[0].method",
        ),
    ]:
        with pytest.raises(FieldErrors) as exc:
            gift_card_sell(actor=shop.desk, client=shop.client, **kwargs)
        assert field in exc.value.errors
    with pytest.raises(PermissionDenied):
        gift_card_sell(actor=shop.therapist_user, client=shop.client, amount=D("10"))


def test_the_books_and_the_journal_show_the_gift_card_liability(shop):
    card, _sale = paid_card(shop, amount="100.00")
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    payment_record(
        actor=shop.desk, invoice=invoice, method="gift_card", amount=D("99.00"), reference=card.code
    )
    owed = reports.gift_card_liabilities(shop.clinic)
    assert owed["value"] == D("1.00") and owed["rows"][0]["code_last4"] == card.last4
    day = reports.day_takings(shop.clinic, timezone.localdate())
    assert day["net"] == D("100.00")  # the card's cash; the redemption is not the day's takings
    assert day["gift_cards_redeemed"]["received"] == D("99.00")
    revenue = reports.revenue(shop.clinic, timezone.localdate(), timezone.localdate())
    assert revenue["gift_card_sales"] == D("100.00") and revenue["total"] == D("90.00")
    rows = list(
        csv.DictReader(
            io.StringIO(reports.journal_csv(shop.clinic, timezone.localdate(), timezone.localdate()))
        )
    )
    liability = sum(
        D(r["gross"]) for r in rows if r["account"] == "gift_card_liability" and r["type"] == "sale"
    )
    redeemed = sum(
        D(r["net"]) for r in rows if r["account"] == "gift_card_liability" and r["type"] == "payment"
    )
    assert liability - redeemed == owed["value"]
    assert all(card.code not in r["description"] for r in rows)


def post(http, url, body):
    return http.post(url, json.dumps(body), content_type="application/json")


def test_the_api_sells_looks_up_and_redeems_and_names_the_field(shop, other_clinic_user):
    desk = login(shop.desk)
    r = post(
        desk,
        f"/api/v1/billing/clients/{shop.client.id}/gift-cards",
        {
            "amount": "75.00",
            "recipient_name": "Bea",
            "payments": [{"method": "card", "amount": "75.00", "card_last4": "4242"}],
        },
    )
    assert r.status_code == 201, r.content
    card = r.json()["gift_card"]
    assert (
        card["balance"] == "75.00"
        and card["not_usable_because"] == ""
        and r.json()["invoice"]["total"] == "75.00"
    )
    found = desk.get("/api/v1/billing/gift-cards", {"code": card["code"].lower()}).json()
    assert [c["id"] for c in found] == [card["id"]]
    invoice = post(
        desk,
        "/api/v1/billing/checkout",
        {
            "client_id": shop.client.id,
            "appointment_ids": [shop.visits[0].id],
            "payments": [{"method": "gift_card", "amount": "80.00", "reference": card["code"]}],
        },
    )
    assert invoice.status_code == 422
    error = invoice.json()["errors"][0]
    assert error["field"] == "payments[0].amount" and "75.00 USD left" in error["message"]
    assert "Payment 1" in error["label"]
    invoice = post(
        desk,
        "/api/v1/billing/checkout",
        {
            "client_id": shop.client.id,
            "appointment_ids": [shop.visits[0].id],
            "payments": [{"method": "gift_card", "amount": "75.00", "reference": card["code"]}],
        },
    )
    assert invoice.status_code == 201 and invoice.json()["balance"] == "24.00"
    detail = desk.get(f"/api/v1/billing/gift-cards/{card['id']}").json()
    assert detail["balance"] == "0.00" and detail["not_usable_because"] == "used up"
    assert detail["payments"][0]["gift_card_id"] == card["id"]
    account = desk.get(f"/api/v1/billing/clients/{shop.client.id}/account").json()
    assert account["gift_cards"][0]["id"] == card["id"]
    # who may: a therapist handles no money; another clinic sees no such card; the books are admins'
    assert login(shop.therapist_user).get(f"/api/v1/billing/gift-cards/{card['id']}").status_code == 403
    assert login(other_clinic_user).get(f"/api/v1/billing/gift-cards/{card['id']}").status_code in (403, 404)
    assert desk.get("/api/v1/billing/reports/gift-card-liabilities").status_code == 403
    assert login(shop.admin).get("/api/v1/billing/reports/gift-card-liabilities").json()["value"] == "0.00"


def test_codes_are_read_back_however_they_are_typed():
    assert normalise_code(" acde fghj-kmnp ") == "ACDE-FGHJ-KMNP"
    assert normalise_code("ACDEFGHJKMNP") == "ACDE-FGHJ-KMNP"
