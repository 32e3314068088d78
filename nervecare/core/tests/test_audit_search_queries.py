"""The audit search page costs a fixed number of queries, whatever the number of events on the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core import audit

pytestmark = pytest.mark.django_db

# Sign-in (session, user, two-step device), the clinic, the read event the search leaves, the count and the
# page of events. SQLite seals inline (the chain's head, then the insert). PostgreSQL seals deferred (core/audit.py):
# the event is inserted pending and the page seals the clinic's chain before reading it, so the search shows
# every event in its place (pending chains, savepoint, chain lock, head, pending rows, update, release).
SEARCH_QUERIES = {"sqlite": 9, "postgresql": 14}


def events(clinic, actors, n: int) -> None:
    for i in range(n):
        client = ClientFactory(clinic=clinic)
        audit.record(actor=actors[i % len(actors)], action="view", obj=client, summary=f"read {i}")


@pytest.mark.parametrize("query", [{}, {"action": "view", "actor": "alice", "object_type": "clients.client"}])
def test_audit_search_query_count_is_pinned_and_does_not_grow(
    admin_user, therapist_user, junior_therapist_user, clinic, query, django_assert_num_queries
):
    http = login(admin_user)
    url = reverse("audit:events")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(url, query).status_code == 200
        return len(ctx.captured_queries)

    events(clinic, [therapist_user, junior_therapist_user], 3)
    few = count()
    events(clinic, [therapist_user, junior_therapist_user], 20)
    assert count() == few
    with django_assert_num_queries(SEARCH_QUERIES[connection.vendor]):
        http.get(url, query)
