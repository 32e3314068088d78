"""After confirming, the new client's first session cannot be checked in until their intake is complete and
reviewed; a stop raised by their intake tells them in plain words to call the clinic, and alerts the
therapist."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient

from nervecare.booking.services import online_booking_confirm, online_booking_request
from nervecare.booking.tests.conftest import slot_value
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.portal.models import ClientIntake
from nervecare.portal.services import client_intake_review
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import appointment_check_in

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime.datetime(2031, 1, 7, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def confirmed(online, django_capture_on_commit_callbacks):
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
    with django_capture_on_commit_callbacks(execute=True):
        booking = online_booking_confirm(token=request.token)
    account = booking.client.portal_account
    account.user.set_password("a-long-client-password")
    account.user.save()
    return booking


def test_the_first_session_waits_for_the_intake_and_its_review(confirmed, front_desk_user, therapist_user):
    appointment = confirmed.appointment
    with time_machine.travel(TUESDAY_10 - datetime.timedelta(minutes=5), tick=False):
        with pytest.raises(FieldErrors) as no_intake:
            appointment_check_in(actor=front_desk_user, appointment=appointment)
        assert "has not completed their intake" in no_intake.value.errors["status"]
        intake = ClientIntake.objects.create(client=confirmed.client, reported={"goals": "walk"})
        with pytest.raises(FieldErrors) as not_reviewed:
            appointment_check_in(actor=front_desk_user, appointment=appointment)
        assert "waiting for a therapist's review" in not_reviewed.value.errors["status"]
        client_intake_review(actor=therapist_user, intake=intake)
        confirmed.client.refresh_from_db()
        assert not confirmed.client.provisional  # reviewed: no longer provisional
        booking = appointment_check_in(actor=front_desk_user, appointment=appointment)
    assert booking.appointment.status == Appointment.Status.CHECKED_IN


def test_staff_see_the_new_client_marked(confirmed, therapist_user):
    staff = login(therapist_user)
    listing = staff.get("/clients/").content.decode()
    assert "provisional (intake not reviewed)" in listing
    chart = staff.get(f"/clients/{confirmed.client.pk}/").content.decode()
    assert "Booked online" in chart and "E-mail confirmed" in chart


def test_a_stop_after_the_intake_says_call_the_clinic_and_alerts_the_therapist(
    confirmed, online, django_capture_on_commit_callbacks
):
    therapist = confirmed.appointment.therapist
    type(therapist.user).objects.filter(pk=therapist.user_id).update(email="alice@riverside.example")
    portal = HttpClient()
    assert portal.login(
        username=confirmed.client.portal_account.user.username, password="a-long-client-password"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(
            "/portal/about-you/",
            {
                "type": "",
                "cause": "unknown",
                "dvt_signs_now": "on",
                "marks-TOTAL_FORMS": "0",
                "marks-INITIAL_FORMS": "0",
            },
            follow=True,
        )
    text = response.content.decode()
    assert "Please call the clinic on 020 7946 0000" in text
    assert "thrombosis" not in text.lower() and "dvt" not in text.lower()  # plain words, no clinical jargon
    alert = mail.outbox[-1]
    assert alert.to == ["alice@riverside.example"]
    assert f"/clients/{confirmed.client.pk}/" in alert.body and "Okafor" not in alert.body
    assert "Please call the clinic" in portal.get("/portal/").content.decode()
