"""Issue 4's path end to end: the front desk books a plan's 12-week course, resolving a conflict; the client
gets exactly one reminder email on a real SMTP server on loopback, with the time in the clinic's zone."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.plans.services import plan_activate, plan_propose
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import appointment_book
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_front_desk_books_a_course_and_the_client_is_reminded_once(
    smtp, clinic, therapist_user, front_desk_user
):
    with time_machine.travel(NOW, tick=False):
        clinic.timezone = "Europe/London"
        clinic.save()
        service = ServiceFactory(clinic=clinic, modality="swedish", name="60-min Swedish massage")
        for weekday in range(5):
            WorkingHoursFactory(
                therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
            )
        client = ClientFactory(
            clinic=clinic, first_name="Maria", last_name="Lopez", email="maria@example.org"
        )
        ConditionFactory(client=client)
        plan = plan_activate(actor=therapist_user, plan=plan_propose(actor=therapist_user, client=client)[0])
        blocker = ClientFactory(clinic=clinic, email="")
        appointment_book(
            actor=front_desk_user,
            client=blocker,
            therapist_id=therapist_user.therapist.id,
            service_id=service.id,
            starts_at=dt.datetime(2027, 3, 15, 10, tzinfo=dt.UTC),
        )
        http = login(front_desk_user)
        form = {
            "therapist_id": therapist_user.therapist.id,
            "service_id": service.id,
            "first_date": "2027-03-08",
            "local_time": "10:00",
            "count": "12",
            "action": "book",
            "replace_1": "2027-03-15T13:30:00+00:00",
        }
        assert http.post(f"/clients/{client.id}/plans/{plan.id}/book/", form).status_code == 302
    course = Appointment.objects.filter(client=client).order_by("starts_at")
    assert course.count() == 12

    # The day before the first session, the job queue's delivery runs (twice: it must still send once).
    with time_machine.travel(dt.datetime(2027, 3, 7, 10, 30, tzinfo=dt.UTC), tick=False):
        call_command("send_reminders", stdout=None)
        call_command("send_reminders", stdout=None)
    to_maria = [
        m for m, rcpt in zip(smtp.messages, smtp.recipients, strict=True) if rcpt == ["maria@example.org"]
    ]
    assert len(to_maria) == 1
    body = to_maria[0].get_content()
    assert "10:00" in body and "Monday 8 March 2027" in body and "Europe/London" in body
    assert "Lopez" not in to_maria[0]["Subject"]
