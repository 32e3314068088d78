"""factory_boy factories for care plans (direct rows; the plan services are tested through their calls)."""

import factory

from nervecare.clients.tests.factories import ClientFactory
from nervecare.plans.models import CarePlan


class CarePlanFactory(factory.django.DjangoModelFactory):
    """A plan row as the recommendation might make it; status is the model's default (proposed)."""

    class Meta:
        model = CarePlan

    client = factory.SubFactory(ClientFactory)
    modality = "swedish"
    scope = "full_body"
    pressure = "light"
    session_minutes = 60
    sessions_per_week = 1
    course_weeks = 6
