from decimal import Decimal
from types import SimpleNamespace

import pytest

from nervecare.billing.tests.factories import PriceFactory, settings_for, visit
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.tests.factories import UserFactory
from nervecare.scheduling.tests.factories import ServiceFactory


@pytest.fixture
def admin_user(clinic):
    return UserFactory(username="oona", clinic=clinic, role="admin")


@pytest.fixture
def shop(clinic, therapist_user, front_desk_user, admin_user):
    """Riverside with a 60-minute massage at 90.00 (97124), 10% tax, fees and tips, and a client with two
    visits done."""
    clinic.currency = "USD"
    clinic.save()
    service = ServiceFactory(clinic=clinic)
    price = PriceFactory(service=service, amount=Decimal("90.00"))
    settings_for(
        clinic,
        tax_rate=Decimal("10"),
        tax_label="Sales tax",
        late_cancel_fee=Decimal("40.00"),
        no_show_fee=Decimal("50.00"),
        tips_allowed=True,
        tax_id="12-3456789",
    )
    client = ClientFactory(clinic=clinic, first_name="Ada", last_name="Quill", email="ada@example.org")
    therapist = therapist_user.therapist
    visits = [visit(client=client, therapist=therapist, service=service, days_ago=d) for d in (3, 2)]
    return SimpleNamespace(
        clinic=clinic,
        service=service,
        price=price,
        client=client,
        therapist=therapist,
        visits=visits,
        desk=front_desk_user,
        admin=admin_user,
        therapist_user=therapist_user,
    )
