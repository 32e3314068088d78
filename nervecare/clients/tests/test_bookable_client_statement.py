"""client_get_for_booking reads the client with a written-out statement (issue 20): it must find exactly whom the
ORM's form of the rule finds (clients_bookable_by), with the same row and clinic, for every kind of user. Runs on
SQLite and on PostgreSQL (DATABASE_URL)."""

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client, ClientAccessGrant, ClientShare
from nervecare.clients.selectors import _bookable_client, client_get_for_booking, clients_bookable_by
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.models import Clinic
from nervecare.core.tests.factories import TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db


def _values(obj) -> list:
    return [getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields]


def _orm(user, client_id):
    return clients_bookable_by(user).filter(pk=client_id).select_related("clinic").first()


@pytest.fixture
def people(clinic, other_clinic, therapist_user, junior_therapist_user, front_desk_user, other_clinic_user):
    carol = UserFactory(username="carol", clinic=clinic, role="therapist")
    TherapistFactory(user=carol, clinic=clinic, display_name="Carol")
    dave = UserFactory(username="dave", clinic=clinic, role="therapist")
    TherapistFactory(user=dave, clinic=clinic, display_name="Dave")
    return {
        "alice (primary)": therapist_user,
        "bob (a share)": junior_therapist_user,
        "carol (a live grant)": carol,
        "dave (a revoked grant)": dave,
        "frank (front desk)": front_desk_user,
        "admin": UserFactory(username="ada", clinic=clinic, role="admin"),
        "a client": UserFactory(username="cli", clinic=clinic, role="client"),
        "olga (other clinic)": other_clinic_user,
        "admin of the other clinic": UserFactory(username="oa", clinic=other_clinic, role="admin"),
        "staff without a clinic": UserFactory(username="nc", clinic=None, role="admin"),
    }


@pytest.fixture
def clients(clinic, other_clinic, people):
    alice = people["alice (primary)"].therapist
    mine = ClientFactory(clinic=clinic, primary_therapist=alice, email="c@example.org", phone="0123")
    ClientShare.objects.create(client=mine, therapist=people["bob (a share)"].therapist)
    now = timezone.now()
    ClientAccessGrant.objects.create(
        client=mine, user=people["carol (a live grant)"], reason="booking", source_id=1, granted_at=now
    )
    ClientAccessGrant.objects.create(
        client=mine,
        user=people["dave (a revoked grant)"],
        reason="booking",
        source_id=2,
        granted_at=now - dt.timedelta(days=2),
        revoked_at=now - dt.timedelta(days=1),
    )
    nobody = ClientFactory(clinic=clinic, primary_therapist=None)
    deleted = ClientFactory(clinic=clinic, primary_therapist=alice)
    Client.all_objects.filter(pk=deleted.pk).update(deleted_at=now, deletion_reason="test")
    elsewhere = ClientFactory(clinic=other_clinic, primary_therapist=people["olga (other clinic)"].therapist)
    return {"mine": mine, "nobody's": nobody, "deleted": deleted, "elsewhere": elsewhere, "unknown": None}


def test_the_statement_finds_whom_the_rule_finds(people, clients):
    found = 0
    for who, user in people.items():
        for what, client in clients.items():
            client_id = client.pk if client is not None else 987654
            expected, got = _orm(user, client_id), _bookable_client(user, client_id)
            assert (got is None) == (expected is None), (who, what)
            if expected is None:
                continue
            found += 1
            assert type(got) is Client and _values(got) == _values(expected), (who, what)
            assert Client.clinic.is_cached(got), (who, what)  # read with it, as select_related did
            assert type(got.clinic) is Clinic and _values(got.clinic) == _values(expected.clinic), (who, what)
            assert not got._state.adding and got._state.db == expected._state.db
    # Not a vacuous comparison: alice, bob, carol, frank and the admin each book "mine"; frank and the admin
    # also "nobody's"; olga and her admin the other clinic's.
    assert found == 9


def test_the_rule_still_decides(people, clients):
    mine = clients["mine"]
    assert client_get_for_booking(people["carol (a live grant)"], mine.pk).pk == mine.pk
    for who in ("dave (a revoked grant)", "olga (other clinic)"):
        with pytest.raises(Http404):
            client_get_for_booking(people[who], mine.pk)
    with pytest.raises(Http404):
        client_get_for_booking(people["frank (front desk)"], clients["deleted"].pk)


def test_dates_and_booleans_come_typed(people, clients):
    got = _bookable_client(people["admin"], clients["mine"].pk)
    assert isinstance(got.date_of_birth, dt.date) and isinstance(got.created_at, dt.datetime)
    assert got.created_at.tzinfo is not None
    assert got.provisional is False
    assert got.clinic.online_booking_enabled in (True, False)


def test_an_id_beyond_the_database_integer_is_no_client_not_an_error(people, clients):
    """A page's <int:client_id> takes any size; the ORM answered "no such client" and so does the statement
    (SQLite refused the parameter: a 500)."""
    for client_id in (2**63, -(2**63) - 1, 10**30):
        assert _bookable_client(people["admin"], client_id) is None
        with pytest.raises(Http404):
            client_get_for_booking(people["frank (front desk)"], client_id)
