"""The week calendar page costs a fixed number of queries, whatever the number of appointments on it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.scheduling.tests.factories import AppointmentFactory, RoomFactory, ServiceFactory

pytestmark = pytest.mark.django_db

# Sign-in (session, user, two-step device), the clinic, the therapist (three times: the viewer's own and the
# chosen one's), the rooms, the appointments with what they show, and each of the 7 days' working hours and
# availability exceptions (2 a day), and the week's closures (1). The same on SQLite and PostgreSQL (the page
# writes nothing).
WEEK_QUERIES = {"sqlite": 24, "postgresql": 24}


def book(clinic, therapist, n: int, *, first: int = 0) -> None:
    """n appointments over the week, each with its own client, service and room (no shared rows to cache)."""
    monday = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - datetime.timedelta(
        days=timezone.localdate().weekday()
    )
    for i in range(first, first + n):
        AppointmentFactory(
            client=ClientFactory(clinic=clinic),
            therapist=therapist,
            service=ServiceFactory(clinic=clinic),
            room=RoomFactory(clinic=clinic),
            starts_at=monday + datetime.timedelta(days=i % 5, hours=2 * (i // 5)),
            status="completed" if i % 3 == 0 else "booked",
        )


def test_week_page_query_count_is_pinned_and_does_not_grow(therapist_user, clinic, django_assert_num_queries):
    therapist = therapist_user.therapist
    http = login(therapist_user)
    path = f"/calendar/?week={timezone.localdate().isoformat()}&therapist={therapist.id}"

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(path).status_code == 200
        return len(ctx.captured_queries)

    book(clinic, therapist, 2)
    few = count()
    book(clinic, therapist, 12, first=2)
    assert count() == few
    with django_assert_num_queries(WEEK_QUERIES[connection.vendor]):
        http.get(path)
