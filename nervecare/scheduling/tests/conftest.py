"""Fixtures shared by the scheduling tests: a real SMTP server on loopback, and a plan's course to book."""

import datetime as dt
import email
import email.policy
import socket
import threading
from email.message import EmailMessage as ParsedMessage

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.core.tests.factories import TherapistFactory, UserFactory
from nervecare.plans.services import plan_activate, plan_propose
from nervecare.scheduling.tests.factories import RoomFactory, ServiceFactory, WorkingHoursFactory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[ParsedMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.recipients.append(list(envelope.rcpt_tos))
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        return [m.get_content() for m in self.messages]


def smtp_settings(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=5,
        DEFAULT_FROM_EMAIL="Riverside <bookings@riverside.example>",
    )


@pytest.fixture
def smtp():
    """A real SMTP server on loopback, with Django pointed at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtp_settings(port):
            yield inbox
    finally:
        controller.stop()


@pytest.fixture
def dead_smtp():
    """Django pointed at a loopback port with nothing listening: every send is refused."""
    with smtp_settings(free_port()):
        yield


@pytest.fixture
def course_world(clinic, therapist_user):
    """A London clinic, Alice working weekdays 9-17, a client with an active 12-week plan."""
    clinic.timezone = "Europe/London"
    clinic.save()
    service = ServiceFactory(clinic=clinic, modality="swedish", minutes=60)
    for weekday in range(5):
        WorkingHoursFactory(
            therapist=therapist_user.therapist, weekday=weekday, start=dt.time(9), end=dt.time(17)
        )
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client)
    plan = plan_activate(actor=therapist_user, plan=plan_propose(actor=therapist_user, client=client)[0])
    return {"service": service, "client": client, "plan": plan, "alice": therapist_user.therapist}


@pytest.fixture
def desk_world(clinic, therapist_user):
    """A London clinic on a Monday: Alice and Ben working weekdays 9-17, a room, a client (contact only)."""
    clinic.timezone = "Europe/London"
    clinic.phone = "020 7946 0000"
    clinic.save()
    service = ServiceFactory(clinic=clinic, modality="swedish", minutes=60, buffer_minutes=15)
    alice = therapist_user.therapist
    ben = TherapistFactory(
        user=UserFactory(username="ben", clinic=clinic, role="therapist", email="ben@riverside.example"),
        clinic=clinic,
        display_name="Ben",
    )
    for t in (alice, ben):
        for weekday in range(5):
            WorkingHoursFactory(therapist=t, weekday=weekday, start=dt.time(9), end=dt.time(17))
    room = RoomFactory(clinic=clinic, name="Garden room")
    client = ClientFactory(clinic=clinic, first_name="Ada", last_name="Quill", phone="07700 900123")
    return {"clinic": clinic, "service": service, "alice": alice, "ben": ben, "room": room, "client": client}
