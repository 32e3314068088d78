"""Reminder e-mails at the client's chosen time, through the job queue, on a real SMTP server (aiosmtpd)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from nervecare.scheduling.tests.conftest import smtp  # noqa: F401 - the SMTP fixture
from nervecare.selfcare import services
from nervecare.selfcare.models import ReminderSetting
from nervecare.selfcare.tasks import send_selfcare_reminders
from nervecare.selfcare.tests.factories import CheckOffFactory, ProgrammeFactory, ProgrammeItemFactory

pytestmark = pytest.mark.django_db(transaction=True)
LONDON_EVENING = datetime.datetime(2026, 7, 6, 17, 31, tzinfo=datetime.UTC)  # 18:31 in London (BST)


@pytest.fixture
def reminded(lops_client, ada_user):
    type(lops_client.clinic).objects.filter(pk=lops_client.clinic_id).update(timezone="Europe/London")
    lops_client.clinic.refresh_from_db()
    with time_machine.travel(LONDON_EVENING - datetime.timedelta(hours=10), tick=False):
        programme = ProgrammeFactory(client=lops_client, starts_on=datetime.date(2026, 7, 1))
        item = ProgrammeItemFactory(programme=programme, item_code="foot_inspection")
        services.reminder_set(actor=ada_user, client=lops_client, remind_at=datetime.time(18, 30))
    return item


def test_the_reminder_arrives_once_at_the_local_time(smtp, reminded):  # noqa: F811
    with time_machine.travel(LONDON_EVENING - datetime.timedelta(minutes=2), tick=False):
        assert send_selfcare_reminders.call_local() == 0  # 18:29 local: not yet
    with time_machine.travel(LONDON_EVENING, tick=False):
        assert send_selfcare_reminders.call_local() == 1
        assert send_selfcare_reminders.call_local() == 0  # once a day
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert smtp.recipients == [["ada@example.org"]]
    assert "your home self-care for today" in message["Subject"]
    body = message.get_content()
    assert "1 home self-care item" in body and "/portal/self-care/" in body
    assert "foot" not in body.lower()  # nothing clinical in the e-mail
    assert ReminderSetting.objects.get().last_sent_on == datetime.date(2026, 7, 6)


def test_no_reminder_when_everything_is_ticked_or_reminders_are_off(smtp, reminded, ada_user, lops_client):  # noqa: F811
    with time_machine.travel(LONDON_EVENING, tick=False):
        CheckOffFactory(item=reminded, day=datetime.date(2026, 7, 6), done_at=timezone.now())
        assert send_selfcare_reminders.call_local() == 0
        CheckOffFactory._meta.model.objects.all().delete()
        services.reminder_set(actor=ada_user, client=lops_client, remind_at=None, enabled=False)
        assert send_selfcare_reminders.call_local() == 0
    assert smtp.messages == []
