"""A clinic that books new clients online: Alice (with a bio) and Bob work every day 9-17, a service bookable
online and one that is not; times are read against a fixed Monday so that the notice and horizon are exact."""

import datetime
import re

import pytest
import time_machine
from django.core import mail

from nervecare.core.models import Therapist
from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

# Monday 6 January 2031, 08:00 UTC (the clinic is in London: GMT in January).
NOW = datetime.datetime(2031, 1, 6, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def traveller():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def online(clinic, therapist_user, junior_therapist_user, traveller):
    type(clinic).objects.filter(pk=clinic.pk).update(
        online_booking_enabled=True,
        timezone="Europe/London",
        phone="020 7946 0000",
        min_notice_hours=24,
        booking_horizon_days=30,
    )
    clinic.refresh_from_db()
    alice = Therapist.objects.get(user=therapist_user)
    Therapist.objects.filter(pk=alice.pk).update(bio="Alice works with chemotherapy-induced neuropathy.")
    alice.refresh_from_db()
    bob = Therapist.objects.get(user=junior_therapist_user)
    for therapist in (alice, bob):
        for weekday in range(7):
            WorkingHoursFactory(
                therapist=therapist, weekday=weekday, start=datetime.time(9), end=datetime.time(17)
            )
    service = ServiceFactory(clinic=clinic, name="Gentle first session", bookable_online=True, minutes=60)
    hidden = ServiceFactory(clinic=clinic, name="Staff-only lymph drainage", bookable_online=False)
    return type(
        "Online", (), {"clinic": clinic, "alice": alice, "bob": bob, "service": service, "hidden": hidden}
    )


def form(online, *, slot: str, **overrides) -> dict:
    return {
        "therapist": "any",
        "slot": slot,
        "first_name": "Nia",
        "last_name": "Okafor",
        "date_of_birth": "1958-03-14",
        "email": "nia@example.org",
        "phone": "+44 20 7946 0123",
        "consent": "on",
        "consent_version": "1.0",
        **overrides,
    }


def slot_value(therapist, starts_at: datetime.datetime) -> str:
    return f"{therapist.pk}@{starts_at.astimezone(datetime.UTC).isoformat()}"


def link_in_last_mail(pattern: str = r"https?://\S+/book/\S+/confirm/\S+/") -> str:
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)
