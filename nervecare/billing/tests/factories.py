"""Factories and helpers for billing tests."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from nervecare.billing.models import BillingSettings, Price
from nervecare.scheduling.tests.factories import AppointmentFactory


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    service = factory.SubFactory("nervecare.scheduling.tests.factories.ServiceFactory")
    clinic = factory.SelfAttribute("service.clinic")
    amount = Decimal("90.00")
    currency = factory.LazyAttribute(lambda o: o.clinic.currency)
    cpt_code = "97124"


def settings_for(clinic, **values):
    row, _ = BillingSettings.objects.get_or_create(clinic=clinic)
    for k, v in values.items():
        setattr(row, k, v)
    row.save()
    return row


def visit(*, client, therapist, service, days_ago=1, minutes=None, status="completed"):
    """A visit of the client that happened (checked in and completed)."""
    start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(days=days_ago)
    length = minutes if minutes is not None else service.minutes
    return AppointmentFactory(
        client=client,
        clinic=client.clinic,
        therapist=therapist,
        service=service,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=length),
        status=status,
    )
