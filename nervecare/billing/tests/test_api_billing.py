"""The billing API: check-out, payments, refunds, voids, courses, fees, PDFs, the books; who may do what."""

import csv
import io
from decimal import Decimal

import pytest

from nervecare.billing.models import Invoice
from nervecare.billing.tests.factories import visit
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.scheduling.services import appointment_cancel
from nervecare.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
D = Decimal


def post(http, url, body):
    import json

    return http.post(url, json.dumps(body), content_type="application/json")


def test_desk_checks_out_and_takes_payment_over_the_api(shop):
    desk = login(shop.desk)
    a, b = shop.visits
    r = post(
        desk,
        "/api/v1/billing/checkout",
        {
            "client_id": shop.client.id,
            "appointment_ids": [a.id, b.id],
            "discounts": [{"appointment_id": b.id, "amount": "9.00", "reason": "student"}],
            "payments": [{"method": "card", "amount": "100.00", "card_last4": "4242"}],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["total"] == "188.10" and body["balance"] == "88.10" and body["currency"] == "USD"
    assert [line["units"] for line in body["lines"]] == [4, 4]
    r = post(desk, f"/api/v1/billing/invoices/{body['id']}/payments", {"method": "cash", "amount": "88.10"})
    assert r.status_code == 201
    account = desk.get(f"/api/v1/billing/clients/{shop.client.id}/account").json()
    assert account["balance"] == "0.00" and len(account["payments"]) == 2
    pdf = desk.get(f"/api/v1/billing/invoices/{body['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert desk.get(f"/api/v1/billing/invoices/{body['id']}/receipt").content.startswith(b"%PDF")


def test_bad_input_is_a_422_naming_the_field(shop):
    desk = login(shop.desk)
    cases = [
        ({"client_id": shop.client.id, "appointment_ids": []}, "appointment_ids"),
        (
            {
                "client_id": shop.client.id,
                "appointment_ids": [shop.visits[0].id],
                "payments": [{"method": "card", "amount": "10.001"}],
            },
            "payments[0].amount",
        ),
        (
            {
                "client_id": shop.client.id,
                "appointment_ids": [shop.visits[0].id],
                "payments": [{"method": "card", "amount": "10", "card_last4": "12a4"}],
            },
            "payments[0].card_last4",
        ),
        (
            {
                "client_id": shop.client.id,
                "appointment_ids": [shop.visits[0].id],
                "payments": [{"method": "cheque", "amount": "10"}],
            },
            "payments[0].method",
        ),
        ({"client_id": shop.client.id, "appointment_ids": [999999]}, "appointment_ids[0]"),
    ]
    for body, field in cases:
        r = post(desk, "/api/v1/billing/checkout", body)
        assert r.status_code == 422, (body, r.content)
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert not Invoice.objects.exists()
    r = post(desk, "/api/v1/billing/checkout", {"client_id": 999999, "appointment_ids": [1]})
    assert r.status_code == 404


def test_who_may_do_what(shop, other_clinic_user):
    invoice_id = post(
        login(shop.desk),
        "/api/v1/billing/checkout",
        {
            "client_id": shop.client.id,
            "appointment_ids": [shop.visits[0].id],
            "payments": [{"method": "cash", "amount": "99.00"}],
        },
    ).json()["id"]
    payment_id = Invoice.objects.get(pk=invoice_id).payments.get().id
    therapist = login(shop.therapist_user)
    # a therapist handles no money (their own takings only)
    assert therapist.get(f"/api/v1/billing/invoices/{invoice_id}").status_code == 403
    assert therapist.get("/api/v1/billing/reports/revenue").status_code == 200
    # the desk may not void, refund or set prices
    desk = login(shop.desk)
    assert post(desk, f"/api/v1/billing/invoices/{invoice_id}/void", {"reason": "x"}).status_code == 403
    assert (
        post(
            desk, f"/api/v1/billing/payments/{payment_id}/refund", {"amount": "1", "reason": "x"}
        ).status_code
        == 403
    )
    assert (
        desk.put(
            "/api/v1/billing/prices", '{"service_id": 1, "amount": "1"}', content_type="application/json"
        ).status_code
        == 403
    )
    # the desk never sees clinical data: no superbill (it carries diagnoses)
    assert desk.get(f"/api/v1/clients/{shop.client.id}/superbill.pdf").status_code == 403
    # another clinic sees nothing
    assert login(other_clinic_user).get(f"/api/v1/billing/invoices/{invoice_id}").status_code in (403, 404)
    admin = login(shop.admin)
    r = post(
        admin, f"/api/v1/billing/payments/{payment_id}/refund", {"amount": "99.00", "reason": "moved away"}
    )
    assert r.status_code == 201 and r.json()["method"] == "cash"
    r = post(admin, f"/api/v1/billing/invoices/{invoice_id}/void", {"reason": "moved away"})
    assert r.status_code == 200 and r.json()["status"] == "void"
    assert AuditEvent.objects.filter(object_type="billing.payment", action="create").count() == 2


def test_superbill_for_clinical_staff_with_icd10_cpt_and_units(shop):
    ConditionFactory(client=shop.client, diagnosis_code="diabetic_polyneuropathy_t2")
    short = visit(client=shop.client, therapist=shop.therapist, service=shop.service, days_ago=1, minutes=50)
    post(
        login(shop.desk),
        "/api/v1/billing/checkout",
        {"client_id": shop.client.id, "appointment_ids": [shop.visits[0].id, short.id]},
    )
    from nervecare.billing.selectors import superbill_data

    data = superbill_data(
        shop.client, short.starts_at.date().replace(day=1).replace(year=2000), short.starts_at.date()
    )
    assert data["diagnoses"] == [("E11.42", "Type 2 diabetes with diabetic polyneuropathy")]
    assert [(s["cpt"], s["minutes"], s["units"]) for s in data["services"]] == [
        ("97124", 60, 4),
        ("97124", 50, 3),
    ]
    r = login(shop.therapist_user).get(f"/api/v1/clients/{shop.client.id}/superbill.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert (
        login(shop.admin)
        .get(f"/api/v1/clients/{shop.client.id}/superbill.pdf?start=2026-02-01&end=2026-01-01")
        .status_code
        == 422
    )


def test_the_day_balances_to_the_cent_and_the_csv_reads_back_with_the_same_totals(shop):
    desk, admin = login(shop.desk), login(shop.admin)
    course = post(
        desk,
        f"/api/v1/billing/clients/{shop.client.id}/courses",
        {
            "service_id": shop.service.id,
            "sessions": 3,
            "price": "240.00",
            "payments": [{"method": "card", "amount": "264.00", "card_last4": "0001"}],
        },
    ).json()
    assert course["course"]["remaining"] == 3 and course["invoice"]["total"] == "264.00"
    third = visit(client=shop.client, therapist=shop.therapist, service=shop.service, days_ago=1)
    ids = []
    for v in (*shop.visits, third):
        r = post(
            desk,
            "/api/v1/billing/checkout",
            {"client_id": shop.client.id, "appointment_ids": [v.id], "course_id": course["course"]["id"]},
        )
        assert r.status_code == 201, r.content
        ids.append(r.json()["id"])
    import datetime

    from django.utils import timezone

    late = AppointmentFactory(
        client=shop.client,
        clinic=shop.clinic,
        therapist=shop.therapist,
        service=shop.service,
        starts_at=timezone.now() + datetime.timedelta(hours=3),
        ends_at=timezone.now() + datetime.timedelta(hours=4),
    )
    appointment_cancel(actor=shop.desk, appointment=late, reason="client phoned")
    fee_id = desk.get(f"/api/v1/billing/clients/{shop.client.id}/account").json()["fees"][0]["id"]
    fee_invoice = post(desk, f"/api/v1/billing/fees/{fee_id}/invoice", {}).json()
    post(
        desk, f"/api/v1/billing/invoices/{fee_invoice['id']}/payments", {"method": "cash", "amount": "40.00"}
    )
    card = Invoice.objects.get(pk=course["invoice"]["id"]).payments.get()
    r = post(admin, f"/api/v1/billing/payments/{card.id}/refund", {"amount": "24.00", "reason": "goodwill"})
    assert r.status_code == 201
    day = admin.get("/api/v1/billing/reports/day").json()
    methods = {m["method"]: m for m in day["methods"]}
    assert methods["card"]["received"] == "264.00" and methods["card"]["refunded"] == "24.00"
    assert methods["cash"]["net"] == "40.00"
    assert day["net"] == "280.00"  # 264 + 40 − 24
    assert day["course_sessions"]["received"] == "240.00"
    liabilities = admin.get("/api/v1/billing/reports/course-liabilities").json()
    assert liabilities["sessions"] == 0 and liabilities["value"] == "0.00"
    revenue = admin.get("/api/v1/billing/reports/revenue").json()
    assert revenue["total"] == "280.00" and revenue["course_sales"] == "240.00"  # 3 sessions + 40 fee
    exported = admin.get("/api/v1/billing/export.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    payments = sum(
        D(r["net"]) for r in rows if r["type"] in ("payment", "refund") and r["account"] != "course"
    )
    assert payments == D(day["net"])
    sales = sum(D(r["gross"]) for r in rows if r["type"] == "sale")
    assert sales == D("264.00") + D("240.00") + D("40.00")
    assert AuditEvent.objects.filter(object_type="billing.fee").exists()
    assert ClientFactory  # the clinic's other clients are not involved


def test_an_impossible_client_id_in_the_invoice_filter_is_422_naming_it(db, admin_user):
    """Found by the API fuzz test on SQLite: a client id no integer column can hold was a 500."""
    from nervecare.conftest import login

    r = login(admin_user).get("/api/v1/billing/invoices", {"client_id": str(2**70)})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["client_id"]
