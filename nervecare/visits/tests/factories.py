"""factory_boy factories for session notes written directly (the note services are tested through calls)."""

import factory

from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.visits.models import SessionNote


class SessionNoteFactory(factory.django.DjangoModelFactory):
    """An unsigned note for an appointment, of the appointment's client; pass signed_at to sign it."""

    class Meta:
        model = SessionNote

    appointment = factory.SubFactory(AppointmentFactory, status="completed")
    client = factory.SelfAttribute("appointment.client")
    modality = "swedish"
    pressure = "moderate"
    minutes = 60
