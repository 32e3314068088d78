"""factory_boy factories for the portal: a client's own sign-in linked to their record."""

import factory

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.tests.factories import UserFactory
from nervecare.portal.models import ClientAccount


class ClientAccountFactory(factory.django.DjangoModelFactory):
    """A portal account: a user with the role "client" in the client's clinic, with the client's email."""

    class Meta:
        model = ClientAccount

    client = factory.SubFactory(ClientFactory)
    user = factory.SubFactory(
        UserFactory,
        role="client",
        clinic=factory.SelfAttribute("..client.clinic"),
        email=factory.SelfAttribute("..client.email"),
    )
