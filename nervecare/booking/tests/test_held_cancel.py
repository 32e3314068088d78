"""Staff cancel a request from the public booking page that is still only held (page and API): the time is
free at once, the visitor's link stops working, the request is erased with the unconfirmed ones; a confirmed
booking is refused here (it is cancelled like any appointment); a reason is required."""

import datetime
import json

import pytest

from nervecare.booking.models import OnlineBooking
from nervecare.booking.services import (
    online_booking_confirm,
    online_booking_request,
    online_requests_erase_unconfirmed,
)
from nervecare.booking.tests.conftest import slot_value
from nervecare.clients.models import Client
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime.datetime(2031, 1, 7, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def held(online):
    request = online_booking_request(
        clinic=online.clinic,
        service_id=online.service.pk,
        therapist=str(online.alice.pk),
        slot=slot_value(online.alice, TUESDAY_10),
        contact={
            "first_name": "Nia",
            "last_name": "Okafor",
            "date_of_birth": "1958-03-14",
            "email": "nia@example.org",
            "phone": "020 7946 0123",
        },
        consent=True,
        consent_version="1.0",
        link_for=lambda token: f"http://testserver/book/x/confirm/{token}/",
    )
    return request


def test_the_desk_cancels_a_held_request_from_the_appointment_page(held, front_desk_user):
    appointment = held.booking.appointment
    desk = login(front_desk_user)
    page = desk.get(f"/appointments/{appointment.id}/").content.decode()
    assert f"/book/staff/held/{appointment.id}/cancel/" in page
    form = desk.get(f"/book/staff/held/{appointment.id}/cancel/")
    assert form.status_code == 200 and "Nia Okafor" in form.content.decode()
    empty = desk.post(f"/book/staff/held/{appointment.id}/cancel/", {"reason": "  "})
    assert empty.status_code == 422 and "Why cancel?: say why" in empty.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.HELD  # nothing half-written
    done = desk.post(f"/book/staff/held/{appointment.id}/cancel/", {"reason": "a duplicate request"})
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancel_reason.endswith("a duplicate request")
    assert AuditEvent.objects.filter(summary__startswith="Held online booking cancelled").exists()
    # The visitor's link no longer books; the hourly job erases the request.
    with pytest.raises(FieldErrors) as exc:
        online_booking_confirm(token=held.token)
    assert "expired" in exc.value.errors["token"]
    assert online_requests_erase_unconfirmed() == 1
    assert not Client.all_objects.filter(pk=held.booking.client_id).exists()


def test_the_api_cancels_a_held_request_and_refuses_a_confirmed_one(
    held, front_desk_user, django_capture_on_commit_callbacks
):
    appointment = held.booking.appointment
    api = login(front_desk_user)
    url = f"/api/v1/appointments/{appointment.id}/cancel-hold"
    bad = api.post(url, json.dumps({"reason": ""}), content_type="application/json")
    assert bad.status_code == 422
    ok = api.post(url, json.dumps({"reason": "spam"}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"


def test_a_confirmed_booking_is_not_a_held_one(held, front_desk_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        online_booking_confirm(token=held.token)
    appointment = OnlineBooking.objects.get(pk=held.booking.pk).appointment
    assert (
        f"/book/staff/held/{appointment.id}/"
        not in login(front_desk_user).get(f"/appointments/{appointment.id}/").content.decode()
    )
    r = login(front_desk_user).post(
        f"/api/v1/appointments/{appointment.id}/cancel-hold",
        json.dumps({"reason": "spam"}),
        content_type="application/json",
    )
    assert r.status_code == 422 and "cancel it as any appointment" in r.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
