"""Every page shows times in the clinic's time zone (core.middleware.ClinicTimezoneMiddleware): stored in
UTC, shown as the clinic's wall clock to its staff and its clients alike."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from nervecare.conftest import login
from nervecare.portal.tests.conftest import portal_user
from nervecare.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def new_york_appointment(clinic, therapist_user):
    clinic.timezone = "America/New_York"
    clinic.save()
    user, person = portal_user(clinic, "Nora", "nora")
    day = (timezone.now() + datetime.timedelta(days=20)).date()
    starts = datetime.datetime.combine(day, datetime.time(15, 0), tzinfo=datetime.UTC)  # 10:00 or 11:00 NY
    appt = AppointmentFactory(client=person, therapist=therapist_user.therapist, starts_at=starts)
    return user, person, appt


def _local(appt) -> str:
    return f"{appt.starts_at.astimezone(NEW_YORK):%H:%M}"


def test_portal_appointments_page_shows_clinic_local_time(new_york_appointment):
    user, _person, appt = new_york_appointment
    assert _local(appt) != "15:00"
    page = login(user).get("/portal/appointments/").content.decode()
    assert _local(appt) in page
    assert "15:00" not in page


def test_staff_record_page_shows_clinic_local_time(new_york_appointment, therapist_user):
    _user, person, appt = new_york_appointment
    page = login(therapist_user).get(f"/clients/{person.id}/").content.decode()
    assert f"{appt.starts_at.astimezone(NEW_YORK):%-d %b %Y}, {_local(appt)}" in page
    assert ", 15:00" not in page


def test_clinic_in_utc_unchanged_and_zone_not_leaked(clinic, therapist_user):
    """The zone is the request's only: after the response, code runs in UTC again."""
    clinic.timezone = "America/New_York"
    clinic.save()
    login(therapist_user).get("/day/")
    assert timezone.get_current_timezone_name() == "UTC"


def test_clinic_zone_follows_the_zone_rules():
    from nervecare.core.localtime import ClinicZone

    zone = ClinicZone(lambda: "America/New_York")
    summer = datetime.datetime(2027, 7, 1, 16, 0, tzinfo=datetime.UTC).astimezone(zone)
    winter = datetime.datetime(2027, 1, 1, 16, 0, tzinfo=datetime.UTC).astimezone(zone)
    assert (summer.hour, winter.hour) == (12, 11)
    assert str(zone) == "America/New_York" and summer.tzname() == "EDT"
    # The hour repeated in November: the second 01:30 is fold=1, five hours behind UTC.
    second = datetime.datetime(2027, 11, 7, 6, 30, tzinfo=datetime.UTC).astimezone(zone)
    assert (second.hour, second.minute, second.fold) == (1, 30, 1)
    assert second.utcoffset() == datetime.timedelta(hours=-5)
    assert ClinicZone(lambda: "Not/AZone").key == "UTC"
