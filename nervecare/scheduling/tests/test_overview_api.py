"""GET /clients/{id}/overview (issue 20): one request gives what booking needs of a client — contact details,
the usual therapist, the appointments with their therapists' names — and nothing clinical, to exactly the
people who may book that client (the permission matrix covers every role and side)."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.core.services import api_token_create
from nervecare.scheduling.tests.factories import AppointmentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(clinic, therapist_user):
    client = ClientFactory(
        clinic=clinic,
        first_name="Maria",
        last_name="Lopez",
        phone="555-0100",
        email="maria@example.com",
        primary_therapist=therapist_user.therapist,
    )
    ConditionFactory(client=client, pain=7)
    service = ServiceFactory(clinic=clinic, name="Swedish hands and feet")
    now = timezone.now().replace(second=0, microsecond=0)
    at = {
        "next_week": now + dt.timedelta(days=7),
        "last_week": now - dt.timedelta(days=7),
        "cancelled": now + dt.timedelta(days=14),
        "long_ago": now - dt.timedelta(days=200),
    }
    for key, starts in at.items():
        AppointmentFactory(
            client=client,
            therapist=therapist_user.therapist,
            service=service,
            starts_at=starts,
            status="cancelled" if key == "cancelled" else "booked",
        )
    return client


def test_the_desk_sees_contact_and_bookings_and_nothing_clinical(front_desk_user, maria):
    r = login(front_desk_user).get(f"/api/v1/clients/{maria.id}/overview")
    assert r.status_code == 200
    body = r.json()
    assert body["client"] == {
        "id": maria.id,
        "first_name": "Maria",
        "last_name": "Lopez",
        "email": "maria@example.com",
        "phone": "555-0100",
        "primary_therapist_id": maria.primary_therapist_id,
        "primary_therapist": maria.primary_therapist.display_name,
    }
    # Booked time from the last 93 days on, oldest first; no cancelled one, none from 200 days ago.
    starts = [a["starts_at"] for a in body["appointments"]]
    assert len(starts) == 2 and starts == sorted(starts)
    assert {a["therapist"] for a in body["appointments"]} == {maria.primary_therapist.display_name}
    assert {a["service"] for a in body["appointments"]} == {"Swedish hands and feet"}
    text = r.content.decode()
    for clinical in ("conditions", "medical", "open_flags", "pain", "body_map"):
        assert f'"{clinical}"' not in text


def test_each_view_is_audited(front_desk_user, maria):
    login(front_desk_user).get(f"/api/v1/clients/{maria.id}/overview")
    event = AuditEvent.objects.filter(object_id=str(maria.id), action="view").latest("seq")
    assert event.actor_id == front_desk_user.id
    assert event.client_id == maria.id


def test_a_token_needs_schedule_read(therapist_user, maria):
    _, wrong = api_token_create(user=therapist_user, name="ehr", scopes=["clients:read"])
    _, right = api_token_create(user=therapist_user, name="desk", scopes=["schedule:read"])
    refused = HttpClient().get(f"/api/v1/clients/{maria.id}/overview", HTTP_AUTHORIZATION=f"Bearer {wrong}")
    assert refused.status_code == 403
    assert refused.json()["missing_scope"] == "schedule:read"
    ok = HttpClient().get(f"/api/v1/clients/{maria.id}/overview", HTTP_AUTHORIZATION=f"Bearer {right}")
    assert ok.status_code == 200


def test_a_therapist_who_cannot_see_the_client_gets_404(junior_therapist_user, maria):
    r = login(junior_therapist_user).get(f"/api/v1/clients/{maria.id}/overview")
    assert r.status_code == 404


def test_an_id_beyond_any_row_is_404_not_500(front_desk_user, maria):
    assert login(front_desk_user).get(f"/api/v1/clients/{2**70}/overview").status_code in (404, 422)


@pytest.mark.parametrize(
    "who", ["admin", "front_desk", "primary", "shared", "granted", "junior", "elsewhere"]
)
def test_the_compiled_read_sees_whom_clients_bookable_by_sees(
    who, clinic, other_clinic, therapist_user, maria
):
    """The overview's client read is compiled once per role (core/compiled.py): for every kind of user it
    finds exactly the clients the permission rule's queryset finds."""
    from nervecare.clients.models import ClientAccessGrant, ClientShare
    from nervecare.clients.selectors import clients_bookable_by
    from nervecare.core.tests.factories import TherapistFactory, UserFactory
    from nervecare.scheduling.overview import client_overview

    others = [
        ClientFactory(clinic=clinic, primary_therapist=None),
        ClientFactory(clinic=clinic, primary_therapist=None),
        ClientFactory(clinic=other_clinic, primary_therapist=None),
    ]
    role = {"admin": "admin", "front_desk": "front_desk"}.get(who, "therapist")
    if who == "primary":
        user = therapist_user
    else:
        user = UserFactory(
            username=f"u-{who}", clinic=other_clinic if who == "elsewhere" else clinic, role=role
        )
    if role == "therapist" and who != "primary":
        therapist = TherapistFactory(user=user, clinic=user.clinic, display_name=who)
        if who == "shared":
            ClientShare.objects.create(client=others[0], therapist=therapist)
        if who == "granted":
            ClientAccessGrant.objects.create(
                client=others[1], user=user, reason="plan", source_id=1, granted_at=timezone.now()
            )
    expected = set(clients_bookable_by(user).filter(deleted_at__isnull=True).values_list("pk", flat=True))
    seen = set()
    for client in [maria, *others]:
        try:
            seen.add(client_overview(user, client.pk)[0].pk)
        except Exception as e:  # noqa: BLE001 - 404 (Http404) is "cannot book"
            assert type(e).__name__ == "Http404", e
    assert seen == expected
    may_book = {
        "admin": 3,  # maria and the two others of the clinic
        "front_desk": 3,
        "primary": 1,  # maria
        "shared": 1,  # the one shared with them
        "granted": 1,  # the one they hold a grant for
        "junior": 0,
        "elsewhere": 0,  # another clinic's therapist: their clinic's client is not theirs either
    }
    assert len(seen) == may_book[who], seen


def test_one_read_for_the_client_one_for_the_appointments(therapist_user, maria):
    _, plain = api_token_create(user=therapist_user, name="desk", scopes=["schedule:read"])
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {plain}")
    http.get(f"/api/v1/clients/{maria.id}/overview")
    with CaptureQueriesContext(connection) as ctx:
        r = http.get(f"/api/v1/clients/{maria.id}/overview")
    assert r.status_code == 200
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len([s for s in statements if "scheduling_appointment" in s and s.startswith("SELECT")]) == 1
    # Token and user (cached between requests or not), the client, the appointments, the audit event.
    assert len(statements) <= 7, statements
