"""Factories for scheduling objects (direct rows; booking rules are tested through the services)."""

import datetime

import factory
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.tests.factories import TherapistFactory
from nervecare.scheduling.models import Appointment, Room, Service, WorkingHours


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    clinic = factory.SubFactory("nervecare.core.tests.factories.ClinicFactory")
    name = factory.Sequence(lambda n: f"Room {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    clinic = factory.SubFactory("nervecare.core.tests.factories.ClinicFactory")
    code = factory.Sequence(lambda n: f"swedish-60-{n}")
    name = "60-min Swedish massage"
    modality = "swedish"
    minutes = 60
    buffer_minutes = 15


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    therapist = factory.SubFactory(TherapistFactory)
    weekday = 0
    start = datetime.time(9, 0)
    end = datetime.time(17, 0)


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    client = factory.SubFactory(ClientFactory)
    clinic = factory.SelfAttribute("client.clinic")
    therapist = factory.SubFactory(TherapistFactory, user__clinic=factory.SelfAttribute("...clinic"))
    service = factory.SubFactory(ServiceFactory, clinic=factory.SelfAttribute("..clinic"))
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(second=0, microsecond=0))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(minutes=o.service.minutes))
    blocked_until = factory.LazyAttribute(
        lambda o: o.ends_at + datetime.timedelta(minutes=o.service.buffer_minutes)
    )
    status = "booked"
