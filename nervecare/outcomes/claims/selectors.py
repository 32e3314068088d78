"""Reads for the claims ledger. The caller has decided who may see what: a client's ledger after
outcomes.selectors.client_for_outcomes (or portal.selectors.client_for_portal_user), the clinic's after
require_clinical — the same rules as the outcomes pages."""

from typing import Any

from nervecare.clients.models import Client
from nervecare.core.models import Clinic, User
from nervecare.outcomes.claims.ledger import client_ledger, clinic_ledger
from nervecare.outcomes.claims.rows import readings
from nervecare.screening.measures import applicable_measures


def client_claims(client: Client, *, reader: User | None = None) -> dict[str, Any]:
    """One client's claims ledger. With `reader`, only the session notes that user may open count."""
    series = readings([client.id], reader=reader)[client.id]
    asked = {m.code for m in applicable_measures(client)}
    return client_ledger(series, asked=asked, client={"id": client.id, "name": client.full_name})


def clinic_claims(clinic: Clinic) -> dict[str, Any]:
    """The clinic's claims ledger over all its (not deleted) clients."""
    ids = list(Client.objects.filter(clinic=clinic).values_list("id", flat=True))
    return clinic_ledger(readings(ids), clinic={"id": clinic.id, "name": clinic.name})
