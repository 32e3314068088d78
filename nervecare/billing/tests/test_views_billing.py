"""The billing pages: the desk checks out from a client's account, takes payment, and the client sees their
invoices in the portal; bad input is shown on the form (no 500); the desk never reaches clinical data."""

from decimal import Decimal

import pytest

from nervecare.billing.models import Invoice
from nervecare.conftest import login
from nervecare.core.tests.factories import UserFactory
from nervecare.portal.models import ClientAccount

pytestmark = pytest.mark.django_db


def test_desk_checks_out_on_the_page_and_takes_the_rest_later(shop):
    desk = login(shop.desk)
    page = desk.get(f"/billing/clients/{shop.client.id}/")
    assert page.status_code == 200 and b"Issue the invoice" in page.content
    a, b = shop.visits
    r = desk.post(
        f"/billing/clients/{shop.client.id}/checkout/",
        {
            "appointment_ids": [a.id, b.id],
            "pay_method": "card",
            "pay_amount": "100.00",
            "card_last4": "4242",
        },
    )
    invoice = Invoice.objects.get()
    assert r.status_code == 302 and r.url == f"/billing/invoices/{invoice.id}/"
    page = desk.get(r.url)
    assert b"INV-000001" in page.content and b"98.00" in page.content  # 198.00 − 100.00
    r = desk.post(f"/billing/invoices/{invoice.id}/pay/", {"method": "cash", "amount": "98.00"})
    assert r.status_code == 302
    assert desk.get(f"/billing/invoices/{invoice.id}/pdf/").content.startswith(b"%PDF")
    assert desk.get("/billing/").status_code == 200


def test_bad_input_is_shown_on_the_form(shop):
    desk = login(shop.desk)
    a = shop.visits[0]
    r = desk.post(
        f"/billing/clients/{shop.client.id}/checkout/",
        {
            "appointment_ids": [a.id],
            "pay_method": "card",
            "pay_amount": "10",
            "card_last4": "4242424242424242",
        },
    )
    assert r.status_code == 422 and b"last four digits" in r.content
    r = desk.post(
        f"/billing/clients/{shop.client.id}/checkout/",
        {
            "appointment_ids": [a.id],
            "discount_amount": "5",
        },
    )
    assert r.status_code == 422 and b"Say why the discount is given" in r.content
    r = desk.post(
        f"/billing/clients/{shop.client.id}/checkout/",
        {"appointment_ids": [a.id], "pay_method": "cash", "pay_amount": "1000"},
    )
    assert r.status_code == 422 and b"is due on" in r.content
    assert not Invoice.objects.exists()
    r = desk.post(f"/billing/clients/{shop.client.id}/courses/", {"sessions": "0", "price": "-1"})
    assert r.status_code == 422
    r = login(shop.admin).post("/billing/prices/", {"service_id": shop.service.id, "amount": "1.234"})
    assert r.status_code == 422 and b"decimal places" in r.content


def test_the_desk_sees_no_superbill_and_the_therapist_sees_takings_not_invoices(shop):
    desk = login(shop.desk)
    assert desk.get(f"/billing/clients/{shop.client.id}/superbill.pdf").status_code == 403
    therapist = login(shop.therapist_user)
    assert therapist.get("/billing/takings/").status_code == 200
    assert therapist.get(f"/billing/clients/{shop.client.id}/").status_code == 403
    assert therapist.get(f"/billing/clients/{shop.client.id}/superbill.pdf").content.startswith(b"%PDF")


def test_the_client_sees_their_own_invoices_in_the_portal(shop):
    desk = login(shop.desk)
    desk.post(f"/billing/clients/{shop.client.id}/checkout/", {"appointment_ids": [shop.visits[0].id]})
    invoice = Invoice.objects.get()
    ada = UserFactory(username="ada", clinic=shop.clinic, role="client")
    ClientAccount.objects.create(user=ada, client=shop.client)
    portal = login(ada)
    page = portal.get("/portal/invoices/")
    assert page.status_code == 200 and b"INV-000001" in page.content
    assert portal.get(f"/portal/invoices/{invoice.id}/pdf/").content.startswith(b"%PDF")
    assert portal.get(f"/portal/invoices/{invoice.id}/receipt/").content.startswith(b"%PDF")
    other = UserFactory(username="bea", clinic=shop.clinic, role="client")
    from nervecare.clients.tests.factories import ClientFactory

    ClientAccount.objects.create(user=other, client=ClientFactory(clinic=shop.clinic))
    assert login(other).get(f"/portal/invoices/{invoice.id}/pdf/").status_code == 404
    assert Decimal("99.00") == invoice.total


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "garbage"])
@pytest.mark.parametrize("field", ["start", "end"])
def test_an_absurd_period_is_refused_by_field_on_every_page_of_the_books_not_a_500(shop, field, value):
    """The API's period was bounded (HistoryDate), the pages' was not: the year 1 or 9999 overflowed (a 500)."""
    admin, therapist = login(shop.admin), login(shop.therapist_user)
    for http, url in (
        (admin, "/billing/books/"),
        (therapist, "/billing/takings/"),
        (admin, "/billing/books/journal.csv"),
        (admin, f"/billing/clients/{shop.client.id}/superbill.pdf"),
    ):
        response = http.get(url, {field: value})
        assert response.status_code == 422, url
        assert field in response.content.decode()
    assert admin.get("/billing/books/", {"day": value}).status_code == 200  # the day asked for: today instead
