"""Memberships: a monthly fee for N sessions, each month invoiced once (the nightly job or the command, run
as often as you like), sessions drawn at check-out like a course's, unused ones ending with the month or rolling
over one month where the plan says so; who may do what; the API."""

import datetime
import io
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from nervecare.billing.expiry import course_expire_due
from nervecare.billing.models import Course, Invoice
from nervecare.billing.selectors import active_courses
from nervecare.billing.services.invoices import invoice_checkout
from nervecare.billing.services.memberships import (
    add_months,
    membership_cancel,
    membership_invoices_due,
    membership_plan_save,
    membership_start,
)
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors

pytestmark = pytest.mark.django_db
D = Decimal

# A fixed clock, late in the evening of the last day of a month in the clinic's zone: in New York it is still
# Wednesday 31 March 2027 (22:30 EDT) while the server's UTC date is already Thursday 1 April. Every date in
# these tests is the clinic's, so they do not depend on the day, month or zone they are run in.
NOW = datetime.datetime(2027, 4, 1, 2, 30, tzinfo=datetime.UTC)
CLINIC_TODAY = datetime.date(2027, 3, 31)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def shop(clock, shop):
    """The billing shop (visits 3 and 2 days before NOW) in a clinic in New York."""
    shop.clinic.timezone = "America/New_York"
    shop.clinic.save(update_fields=["timezone"])
    return shop


def test_months_run_from_the_first_day_and_the_31st_clamps():
    assert add_months(datetime.date(2027, 1, 31), 1) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2027, 11, 15), 3) == datetime.date(2028, 2, 15)


def plan(shop, **kw):
    values = {
        "name": "Monthly four",
        "service_id": shop.service.id,
        "price": D("300.00"),
        "sessions_per_period": 4,
    }
    return membership_plan_save(actor=shop.admin, **{**values, **kw})


def test_each_month_is_invoiced_once_and_sessions_are_drawn_at_check_out(shop):
    gold = plan(shop)
    start = CLINIC_TODAY - datetime.timedelta(days=31)  # 28 Feb: the second month (from 28 Mar) has begun
    membership, first = membership_start(
        actor=shop.desk, client=shop.client, membership_plan_id=gold.id, starts_on=start
    )
    assert first is not None and first.total == D("330.00")  # 300 + 10% tax, like the service
    course = Course.objects.get(membership=membership, period_start=start)
    assert (course.sessions_total, course.expires_on) == (
        4,
        add_months(start, 1) - datetime.timedelta(days=1),
    )
    # the nightly job catches up the second month, and running it again issues nothing
    assert membership_invoices_due() == 1
    assert membership_invoices_due() == 0
    out = io.StringIO()
    call_command("billing_memberships", stdout=out)
    assert "0 membership invoice(s)" in out.getvalue()
    assert Invoice.objects.filter(lines__course__membership=membership).count() == 2
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    current = Course.objects.get(membership=membership, period_start=add_months(start, 1))
    invoice = invoice_checkout(
        actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[1].id], course_id=current.id
    )
    current.refresh_from_db()
    assert current.remaining == 3 and invoice.total == D("75.00")  # a session at its share, already paid
    with pytest.raises(CommandError):
        call_command("billing_memberships", today="last tuesday")


def test_this_month_is_the_clinics_month_in_its_time_zone(shop, clock):
    """At 22:30 on 31 March in New York (1 April in UTC) April has not begun for the clinic: its month is not
    invoiced and March's sessions are still usable; half an hour after the clinic's midnight both change."""
    gold = plan(shop)
    membership, first = membership_start(actor=shop.desk, client=shop.client, membership_plan_id=gold.id)
    assert membership.starts_on == CLINIC_TODAY and first is not None  # the clinic's today, not the server's
    march, _ = membership_start(
        actor=shop.desk,
        client=shop.client,
        membership_plan_id=plan(shop, name="From the first").id,
        starts_on=datetime.date(2027, 3, 1),
    )
    march_course = Course.objects.get(membership=march, period_start=datetime.date(2027, 3, 1))
    assert march_course.expires_on == CLINIC_TODAY
    assert membership_invoices_due() == 0  # April is the server's month, not the clinic's
    assert course_expire_due() == 0
    assert march_course in active_courses(shop.client)
    invoice = invoice_checkout(
        actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id], course_id=march_course.id
    )
    assert invoice.total == D("75.00")

    clock.move_to(datetime.datetime(2027, 4, 1, 4, 30, tzinfo=datetime.UTC))  # 00:30 on 1 April in New York
    assert membership_invoices_due() == 1
    assert Course.objects.filter(membership=march, period_start=datetime.date(2027, 4, 1)).exists()
    assert course_expire_due() == 1
    march_course.refresh_from_db()
    assert march_course.status == "expired" and march_course not in active_courses(shop.client)
    with pytest.raises(FieldErrors) as exc:
        invoice_checkout(
            actor=shop.desk,
            client=shop.client,
            appointment_ids=[shop.visits[1].id],
            course_id=march_course.id,
        )
    assert "course_id" in exc.value.errors


def test_unused_sessions_end_with_the_month_unless_the_plan_rolls_them_over(shop):
    today = CLINIC_TODAY
    start = add_months(today, -1)
    plain = plan(shop, name="No rollover")
    rolling = plan(shop, name="Rollover", rollover=True)
    m1, _ = membership_start(
        actor=shop.desk, client=shop.client, membership_plan_id=plain.id, starts_on=start
    )
    m2, _ = membership_start(
        actor=shop.desk, client=shop.client, membership_plan_id=rolling.id, starts_on=start
    )
    membership_invoices_due(today=today)
    first_plain = Course.objects.get(membership=m1, period_start=start)
    first_rolling = Course.objects.get(membership=m2, period_start=start)
    assert first_rolling.expires_on == add_months(start, 2) - datetime.timedelta(days=1)
    assert first_plain.expires_on == add_months(start, 1) - datetime.timedelta(days=1)
    course_expire_due(today=today)
    first_plain.refresh_from_db()
    first_rolling.refresh_from_db()
    assert first_plain.status == "expired" and first_rolling.status == "active"


def test_cancel_stops_future_months_and_bad_input_names_the_field(shop):
    gold = plan(shop)
    membership, _ = membership_start(actor=shop.desk, client=shop.client, membership_plan_id=gold.id)
    with pytest.raises(FieldErrors) as exc:
        membership_start(actor=shop.desk, client=shop.client, membership_plan_id=gold.id)
    assert "already a member" in exc.value.errors["membership_plan_id"]
    with pytest.raises(FieldErrors) as exc:
        membership_cancel(actor=shop.desk, membership=membership, reason=" ")
    assert "reason" in exc.value.errors
    membership_cancel(actor=shop.desk, membership=membership, reason="moving away")
    far = add_months(CLINIC_TODAY, 3)
    assert membership_invoices_due(today=far) == 0
    for kw, field in [
        ({"price": D("-1")}, "price"),
        ({"sessions_per_period": 0}, "sessions_per_period"),
        ({"service_id": 999999}, "service_id"),
        ({"name": "Monthly four"}, "name"),
    ]:
        with pytest.raises(FieldErrors) as exc:
            plan(shop, **kw)
        assert field in exc.value.errors
    with pytest.raises(PermissionDenied):
        membership_plan_save(
            actor=shop.desk, name="x", service_id=shop.service.id, price=D("1"), sessions_per_period=1
        )
    with pytest.raises(FieldErrors) as exc:
        membership_start(
            actor=shop.desk,
            client=shop.client,
            membership_plan_id=gold.id,
            starts_on=datetime.date(2000, 1, 1),
        )
    assert "starts_on" in exc.value.errors


def test_the_api_and_the_portal_show_the_membership(shop):
    from nervecare.core.tests.factories import UserFactory
    from nervecare.portal.models import ClientAccount

    admin, desk = login(shop.admin), login(shop.desk)
    r = admin.post(
        "/api/v1/billing/membership-plans",
        json.dumps(
            {"name": "Gold", "service_id": shop.service.id, "price": "280.00", "sessions_per_period": 4}
        ),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    plan_id = r.json()["id"]
    r = desk.post(
        f"/api/v1/billing/clients/{shop.client.id}/memberships",
        json.dumps({"membership_plan_id": plan_id, "payments": [{"method": "cash", "amount": "308.00"}]}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["invoice"]["balance"] == "0.00" and body["membership"]["periods"][0]["remaining"] == 4
    r = desk.post(
        f"/api/v1/billing/clients/{shop.client.id}/memberships",
        json.dumps({"membership_plan_id": plan_id}),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["label"] == "Membership plan"
    assert (
        desk.post(
            "/api/v1/billing/membership-plans",
            json.dumps(
                {"name": "Desk", "service_id": shop.service.id, "price": "1.00", "sessions_per_period": 1}
            ),
            content_type="application/json",
        ).status_code
        == 403
    )
    user = UserFactory(username="ada-portal", clinic=shop.clinic, role="client", email="ada@example.org")
    ClientAccount.objects.create(user=user, client=shop.client)
    page = login(user).get("/portal/invoices/")
    assert "Gold" in page.content.decode() and "My membership" in page.content.decode()
