"""factory_boy factories for stored screenings (scoring itself is tested through the engine)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.screening.models import InstrumentResponse


class InstrumentResponseFactory(factory.django.DjangoModelFactory):
    """A stored response with only its total: for tests of what reads the totals (outcomes, exports)."""

    class Meta:
        model = InstrumentResponse

    client = factory.SubFactory(ClientFactory)
    instrument = "nrs_pain"
    definition_version = "1.0"
    definition_sha256 = "0" * 64
    answers = factory.LazyFunction(dict)
    item_scores = factory.LazyFunction(dict)
    total = Decimal("5")
    max_total = Decimal("10")
    interpretation = factory.LazyFunction(lambda: {"summary": "", "cutoffs": []})
    administered_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    context = "intake"
