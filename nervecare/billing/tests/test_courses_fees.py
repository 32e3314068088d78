"""Courses sold up front and drawn down at check-out; late-cancellation and no-show fees."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from nervecare.billing.expiry import course_expire_due
from nervecare.billing.models import Fee, Payment
from nervecare.billing.selectors import client_balance
from nervecare.billing.services.courses import course_sell, course_transfer
from nervecare.billing.services.fees import fee_waive
from nervecare.billing.services.invoices import invoice_checkout, invoice_void
from nervecare.billing.tests.factories import visit
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.errors import FieldErrors
from nervecare.scheduling.services import appointment_cancel, appointment_no_show
from nervecare.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_course_is_sold_drawn_down_and_its_sessions_add_up_to_the_price(shop):
    course, sale = course_sell(
        actor=shop.desk,
        client=shop.client,
        service_id=shop.service.id,
        sessions=3,
        price=D("250.00"),
        payments=[{"method": "card", "amount": D("275.00"), "card_last4": "0005"}],
    )
    assert sale.total == D("275.00")  # taxed at the sale (10%)
    assert course.remaining == 3
    first = invoice_checkout(
        actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id], course_id=course.id
    )
    third = visit(client=shop.client, therapist=shop.therapist, service=shop.service, days_ago=1)
    second = invoice_checkout(
        actor=shop.desk,
        client=shop.client,
        appointment_ids=[shop.visits[1].id, third.id],
        course_id=course.id,
    )
    course.refresh_from_db()
    assert (course.remaining, course.status) == (0, "used")
    values = [line.total for inv in (first, second) for line in inv.lines.all()]
    assert values == [D("83.33"), D("83.33"), D("83.34")] and sum(values) == D("250.00")
    assert all(p.method == "course" for inv in (first, second) for p in inv.payments.all())
    assert client_balance(shop.client) == D("0.00")
    fourth = visit(client=shop.client, therapist=shop.therapist, service=shop.service, days_ago=0)
    with pytest.raises(FieldErrors) as exc:
        invoice_checkout(
            actor=shop.desk, client=shop.client, appointment_ids=[fourth.id], course_id=course.id
        )
    assert "course_id" in exc.value.errors
    # voiding a course-paid session gives the session back
    invoice_void(actor=shop.admin, invoice=first, reason="checked out against the wrong course")
    course.refresh_from_db()
    assert (course.remaining, course.status) == (1, "active")
    assert client_balance(shop.client) == D("0.00")


def test_courses_expire_and_transfer(shop):
    course, _ = course_sell(
        actor=shop.desk,
        client=shop.client,
        service_id=shop.service.id,
        sessions=2,
        price=D("100.00"),
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    partner = ClientFactory(clinic=shop.clinic, first_name="Ben")
    with pytest.raises(FieldErrors):
        course_transfer(actor=shop.desk, course=course, to_client=partner, reason=" ")
    course_transfer(actor=shop.desk, course=course, to_client=partner, reason="gift to partner")
    course.refresh_from_db()
    assert course.client_id == partner.id and course.transferred_from_id == shop.client.id
    assert course_expire_due(today=timezone.localdate() + datetime.timedelta(days=31)) == 1
    course.refresh_from_db()
    assert course.status == "expired"


def _future(shop, hours):
    start = timezone.now() + datetime.timedelta(hours=hours)
    return AppointmentFactory(
        client=shop.client,
        clinic=shop.clinic,
        therapist=shop.therapist,
        service=shop.service,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )


def test_late_cancel_and_no_show_raise_the_clinics_fee_which_an_admin_may_waive(shop):
    late = _future(shop, 5)  # notice period: 24 hours
    appointment_cancel(actor=shop.desk, appointment=late, reason="client phoned: unwell")
    fee = Fee.objects.get(appointment=late)
    assert (fee.kind, fee.amount, fee.status) == ("late_cancel", D("40.00"), "pending")
    early = _future(shop, 72)
    appointment_cancel(actor=shop.desk, appointment=early, reason="client phoned")
    assert not Fee.objects.filter(appointment=early).exists()
    by_clinic = _future(shop, 2)
    appointment_cancel(actor=shop.admin, appointment=by_clinic, reason="therapist ill")
    assert not Fee.objects.filter(appointment=by_clinic).exists()
    missed = visit(
        client=shop.client, therapist=shop.therapist, service=shop.service, days_ago=1, status="booked"
    )
    appointment_no_show(actor=shop.desk, appointment=missed)
    no_show = Fee.objects.get(appointment=missed)
    assert no_show.amount == D("50.00")
    with pytest.raises(PermissionDenied):
        fee_waive(actor=shop.desk, fee=no_show, reason="car broke down")
    with pytest.raises(FieldErrors):
        fee_waive(actor=shop.admin, fee=no_show, reason="")
    fee_waive(actor=shop.admin, fee=no_show, reason="car broke down")
    # the late-cancel fee goes on the next check-out
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    kinds = sorted(invoice.lines.values_list("kind", "total"))
    assert kinds == [("fee", D("40.00")), ("service", D("99.00"))]
    fee.refresh_from_db()
    assert fee.status == "invoiced"
    assert not Payment.objects.exists()
