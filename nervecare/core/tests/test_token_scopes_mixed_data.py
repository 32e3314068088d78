"""A route whose answer holds several kinds of data needs a token with the scope of each: a token made for the
books (billing:read, "no clinical content") does not get a superbill's diagnoses, and a token that may only read
client details (clients:read) does not get the whole record through the right-of-access export."""

import pytest

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.scopes import MissingScopeError, check_token_scope, required_scope
from nervecare.core.services import api_token_create
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLINICAL_READ = [
    "clients:read",
    "screening:read",
    "plans:read",
    "schedule:read",
    "notes:read",
    "outcomes:read",
    "trials:read",
    "footcheck:read",
    "selfcare:read",
]


def bearer(user, scopes):
    _token, plain = api_token_create(user=user, name="t", scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


@pytest.fixture
def rosa(clinic, therapist_user):
    return ClientFactory(clinic=clinic, first_name="Rosa", primary_therapist=therapist_user.therapist)


def test_several_scopes_are_all_needed_and_the_error_names_the_missing_one():
    class Token:
        scopes = ["billing:read"]

    with pytest.raises(MissingScopeError) as caught:
        check_token_scope(Token(), "billing:read clients:read")
    assert caught.value.scope == "clients:read"
    Token.scopes = ["clients:read", "billing:read"]
    check_token_scope(Token(), "billing:read clients:read")
    assert (
        required_scope("GET", "api/v1/clients/<int:client_id>/superbill.pdf") == "billing:read clients:read"
    )


def test_a_books_token_gets_no_superbill_diagnoses(client, clinic, rosa):
    admin = UserFactory(username="ada", clinic=clinic, role="admin")
    url = f"/api/v1/clients/{rosa.id}/superbill.pdf?start=2026-01-01&end=2026-12-31"
    books_only = client.get(url, **bearer(admin, ["billing:read"]))
    assert books_only.status_code == 403 and books_only.json()["missing_scope"] == "clients:read"
    both = client.get(url, **bearer(admin, ["billing:read", "clients:read"]))
    assert both.status_code == 200 and both["Content-Type"] == "application/pdf"


def test_the_export_needs_the_read_scope_of_every_part_of_the_record(client, clinic, rosa, therapist_user):
    url = f"/api/v1/clients/{rosa.id}/export?format=json"
    details_only = client.get(url, **bearer(therapist_user, ["clients:read"]))
    assert details_only.status_code == 403 and details_only.json()["missing_scope"] == "screening:read"
    assert client.get(url, **bearer(therapist_user, CLINICAL_READ)).status_code == 200

    # An admin's export is complete (money records, the access log): those scopes too.
    admin = UserFactory(username="ada", clinic=clinic, role="admin")
    clinical_only = client.get(url, **bearer(admin, CLINICAL_READ))
    assert clinical_only.status_code == 403 and clinical_only.json()["missing_scope"] == "billing:read"
    full = client.get(url, **bearer(admin, [*CLINICAL_READ, "billing:read", "audit:read"]))
    assert full.status_code == 200 and full.json()["complete"] is True
