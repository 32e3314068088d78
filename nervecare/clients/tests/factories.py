"""factory_boy factories for the clinical record: clients, consent texts, conditions, medical context."""

import datetime

import factory
from django.utils import timezone

from nervecare.clients.models import Client, Condition, ConsentText, MedicalContext
from nervecare.core.models import Therapist
from nervecare.core.tests.factories import ClinicFactory


class ConsentTextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentText

    clinic = factory.SubFactory(ClinicFactory)
    version = "1.0"
    body = "I consent to massage therapy. I can stop at any time."
    effective_from = datetime.date(2026, 1, 1)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Sequence(lambda n: f"Client{n}")
    last_name = "Example"
    date_of_birth = datetime.date(1960, 5, 17)
    # A client is treated by someone: by default the clinic's first therapist (Alice in the shared fixtures),
    # so "a client of the clinic" in a test is Alice's client. Pass primary_therapist=None (or another
    # therapist) where a test is about who may see whom.
    primary_therapist = factory.LazyAttribute(
        lambda o: Therapist.objects.filter(clinic=o.clinic).order_by("id").first()
    )


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    client = factory.SubFactory(ClientFactory)
    type = "peripheral"
    cause = "diabetes_t2"
    onset_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=800))


class MedicalContextFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicalContext

    client = factory.SubFactory(ClientFactory)
