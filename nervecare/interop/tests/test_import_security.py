"""Referral import attacks (issue 14, findings 3 and 8): hidden clients are never matched or changed, the answer
never tells whether one exists, contact details are proposed for review, and the work per request is bounded."""

import datetime
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from nervecare.clients.models import Client
from nervecare.clients.services import intake_create
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.interop import codes, limits
from nervecare.interop.models import ContactChangeProposal, PatientIdentifier
from nervecare.interop.tests.test_import import BASE, FHIR, SNOMED, condition, pain, patient, referral
from nervecare.screening.models import InstrumentResponse

pytestmark = pytest.mark.django_db

NHS = "urn:oid:2.16.840.1.113883.2.1.4.1"
BORN = datetime.date(1962, 4, 9)


def _client_of(user, **details):
    """A client whose record `user` (a therapist) may see, and no one else but the clinic's admins."""
    return intake_create(
        actor=user,
        client={
            "first_name": "Grace Ada",
            "last_name": "Okafor",
            "date_of_birth": BORN,
            "email": "grace@old.example.org",
            "phone": "+44 161 496 1111",
            "address": "9 Old Road, Leeds",
        }
        | details,
        conditions=[{"type": "peripheral", "cause": "diabetes_t2"}],
    )


def _state(client):
    client = Client.objects.get(pk=client.pk)
    return (
        client.first_name,
        client.last_name,
        client.email,
        client.phone,
        client.address,
        client.conditions.count(),
        client.responses.count(),
    )


def _client_id_identifier(client_pk, clinic_pk):
    """The identifier NerveCare's own export gives a Patient (its client id, assigned by the clinic)."""
    return {
        "system": codes.SID_CLIENT,
        "value": str(client_pk),
        "assigner": {"reference": f"Organization/{clinic_pk}"},
    }


# --- finding 3: hidden clients ----------------------------------------------------------------------------


@pytest.mark.parametrize("matched_by", ["name and birth date", "client id", "external identifier"])
def test_a_client_the_caller_may_not_see_is_never_changed(
    api, therapist_user, junior_therapist_user, clinic, matched_by
):
    hidden = _client_of(junior_therapist_user)  # Bob's client: Alice gets 404 on it
    assert api.get(f"/api/v1/clients/{hidden.pk}").status_code == 404
    PatientIdentifier.objects.create(clinic=clinic, client=hidden, system=NHS, value="943 476 5919")
    before = _state(hidden)
    identifiers = {
        "name and birth date": [],
        "client id": [_client_id_identifier(hidden.pk, clinic.pk)],
        "external identifier": [{"system": NHS, "value": "943 476 5919"}],
    }[matched_by]

    response = api.post(
        f"{BASE}/",
        json.dumps(
            referral(condition((SNOMED, "42345000")), pain(6), the_patient=patient(identifier=identifiers))
        ),
        content_type=FHIR,
    )

    assert response.status_code == 201, response.json()  # a new client, Alice's, for review
    assert _state(hidden) == before
    assert not ContactChangeProposal.objects.filter(client=hidden).exists()
    created = Client.objects.exclude(pk=hidden.pk).get()
    assert created.primary_therapist.user == therapist_user
    assert response["Location"].endswith(f"/Patient/{created.pk}")
    # The external identifier stays with the client it was first given to.
    assert list(PatientIdentifier.objects.values_list("client_id", flat=True)) == [hidden.pk]


def _answer(http, bundle):
    """(status, the body with every number replaced, the number of queries): then the import is undone, so
    each scenario starts from the same database."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = http.post(f"{BASE}/", json.dumps(bundle), content_type=FHIR)
        transaction.set_rollback(True)
    body = json.loads(response.content)
    body.pop("id", None)
    return response.status_code, re.sub(r"\d+", "N", json.dumps(body, sort_keys=True)), len(queries)


@pytest.mark.parametrize("by", ["client id", "external identifier"])
def test_the_answer_does_not_tell_whether_a_hidden_client_exists(api, junior_therapist_user, clinic, by):
    """A hidden client with another birth date, and no client at all: the same status, the same body (but
    for the new client's id) and the same database work."""
    hidden = _client_of(junior_therapist_user, first_name="Hanna", last_name="Verborgen")
    PatientIdentifier.objects.create(clinic=clinic, client=hidden, system=NHS, value="111 222 3333")
    before = _state(hidden)

    def probe(identifier):
        return referral(
            condition((SNOMED, "42345000")),
            the_patient=patient(
                identifier=[identifier], birthDate="1970-01-01", name=[{"family": "Probe", "given": ["Pat"]}]
            ),
        )

    if by == "client id":
        exists = probe(_client_id_identifier(hidden.pk, clinic.pk))
        nobody = probe(_client_id_identifier(hidden.pk + 1000, clinic.pk))
    else:
        exists = probe({"system": NHS, "value": "111 222 3333"})
        nobody = probe({"system": NHS, "value": "999 888 7777"})

    hidden_answer, nobody_answer = _answer(api, exists), _answer(api, nobody)

    assert hidden_answer == nobody_answer
    assert hidden_answer[0] == 201
    assert "birth" not in hidden_answer[1].lower()
    assert _state(hidden) == before


# --- finding 3: contact details are proposed, not overwritten ---------------------------------------------


def test_contact_details_of_a_visible_client_are_proposed_for_review(
    api, therapist_user, junior_therapist_user, front_desk_user, clinic
):
    own = _client_of(therapist_user)
    PatientIdentifier.objects.create(clinic=clinic, client=own, system=NHS, value="943 476 5919")
    before = _state(own)

    response = api.post(
        f"{BASE}/",
        json.dumps(referral(condition((SNOMED, "42345000")))),  # grace@example.org, +44 161 496 0000, ...
        content_type=FHIR,
    )

    assert response.status_code == 200, response.json()
    after = _state(own)
    assert after[:5] == before[:5]  # names equal; email, phone and address not overwritten
    assert after[5] == before[5] + 1  # the new condition is taken: Alice treats this client
    proposal = ContactChangeProposal.objects.get(client=own)
    assert proposal.status == "pending" and proposal.proposed_by == therapist_user
    assert proposal.changes == {
        "email": {"current": "grace@old.example.org", "proposed": "grace@example.org"},
        "phone": {"current": "+44 161 496 1111", "proposed": "+44 161 496 0000"},
        "address": {"current": "9 Old Road, Leeds", "proposed": "2 Mill Lane, Leeds, LS1 4AP"},
    }
    diagnostics = [i["diagnostics"] for i in response.json()["issue"]]
    assert any(f"proposal {proposal.pk}" in d and "address, email, phone" in d for d in diagnostics)
    # The same referral again does not pile up proposals.
    api.post(f"{BASE}/", json.dumps(referral(condition((SNOMED, "42345000")))), content_type=FHIR)
    assert ContactChangeProposal.objects.count() == 1

    # Listed for those who may see the client, and only for them.
    listed = api.get("/api/v1/contact-proposals")
    assert listed.status_code == 200
    assert [(p["id"], p["client_id"], p["changes"]) for p in listed.json()] == [
        (proposal.pk, own.pk, proposal.changes)
    ]
    bob = login(junior_therapist_user)
    assert bob.get("/api/v1/contact-proposals").json() == []
    assert bob.post(f"/api/v1/contact-proposals/{proposal.pk}/accept").status_code == 404
    assert login(front_desk_user).get("/api/v1/contact-proposals").status_code == 403
    assert _state(own)[:5] == before[:5]

    accepted = api.post(f"/api/v1/contact-proposals/{proposal.pk}/accept")

    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    own.refresh_from_db()
    assert (own.email, own.phone, own.address) == (
        "grace@example.org",
        "+44 161 496 0000",
        "2 Mill Lane, Leeds, LS1 4AP",
    )
    assert AuditEvent.objects.filter(
        object_type="interop.contactchangeproposal", object_id=str(proposal.pk), action="update"
    ).exists()
    again = api.post(f"/api/v1/contact-proposals/{proposal.pk}/reject")
    assert again.status_code == 422 and "already accepted" in json.dumps(again.json())
    assert api.get("/api/v1/contact-proposals").json() == []


def test_a_rejected_proposal_leaves_the_client_as_it_was(api, therapist_user, clinic):
    own = _client_of(therapist_user)
    bundle = referral(
        condition((SNOMED, "42345000")),
        the_patient=patient(identifier=[_client_id_identifier(own.pk, clinic.pk)]),
    )
    api.post(f"{BASE}/", json.dumps(bundle), content_type=FHIR)
    proposal = ContactChangeProposal.objects.get(client=own)

    rejected = api.post(f"/api/v1/contact-proposals/{proposal.pk}/reject")

    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    own.refresh_from_db()
    assert own.email == "grace@old.example.org"
    assert AuditEvent.objects.filter(
        object_type="interop.contactchangeproposal", object_id=str(proposal.pk), summary__contains="rejected"
    ).exists()


# --- finding 3: FHIR has the API's rate limits ------------------------------------------------------------


@pytest.fixture
def _fresh_counters():
    cache.clear()  # the rate-limit counters live in the cache
    yield
    cache.clear()


@pytest.mark.usefixtures("_fresh_counters")
def test_fhir_routes_have_the_api_rate_limit(api, settings, token):
    settings.NERVECARE_API_RATE = "3/m"
    statuses = [api.get(f"{BASE}/Patient").status_code for _ in range(3)]
    statuses.append(api.post(f"{BASE}/", "{}", content_type=FHIR).status_code)

    assert statuses == [200, 200, 200, 429]
    refused = api.get(f"{BASE}/Patient")
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["resourceType"] == "OperationOutcome"
    # One allowance per user, shared with the JSON API (the token is Alice's too).
    assert api.get("/api/v1/me").status_code == 429
    by_token = HttpClient().get(f"{BASE}/Patient", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert by_token.status_code == 429


@pytest.mark.usefixtures("_fresh_counters")
def test_fhir_without_credentials_has_the_anonymous_rate_limit(db, settings):
    settings.NERVECARE_API_ANON_RATE = "2/m"
    http = HttpClient()
    guesses = [
        http.get(f"{BASE}/Patient", HTTP_AUTHORIZATION=f"Bearer nc_guess{i}").status_code for i in range(3)
    ]
    assert guesses == [401, 401, 429]
    assert [HttpClient(REMOTE_ADDR="10.0.0.9").get(f"{BASE}/metadata").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


# --- finding 8: the work per request is bounded -----------------------------------------------------------


def _nothing_stored():
    return not Client.objects.exists() and not InstrumentResponse.objects.exists()


def _big_bundle(target_bytes):
    """A referral of ordinary entries (Conditions and ratings with notes) of about `target_bytes`."""
    entries, size = [], 0
    while size < target_bytes:
        n = len(entries)
        entries.append(condition((SNOMED, "42345000"), id=f"c{n}", note=[{"text": "Burning feet. " * 20}]))
        entries.append(pain(5, id=f"o{n}", note=[{"text": "At night. " * 20}]))
        size += len(json.dumps(entries[-2:]))
    return referral(*entries)


def test_a_2_mb_referral_is_refused_with_413_before_it_is_read(api):
    body = json.dumps(_big_bundle(2_200_000))
    assert len(body) > 2_200_000

    response = api.post(f"{BASE}/", body, content_type=FHIR)

    assert response.status_code == 413
    message = response.json()["issue"][0]["diagnostics"]
    assert f"at most {limits.MAX_BODY_BYTES} bytes" in message
    assert _nothing_stored()


def test_a_deeply_nested_referral_is_refused_with_422(api):
    nested = "[" * 100_000 + "]" * 100_000  # deeper than the JSON parser itself goes
    body = json.dumps(referral(condition((SNOMED, "42345000"))))
    body = body.replace('"code": {"coding"', f'"extension": {nested}, "code": {{"coding"', 1)

    response = api.post(f"{BASE}/", body, content_type=FHIR)

    assert response.status_code == 422
    assert response.json()["issue"][0]["diagnostics"] == "The Bundle is nested more than 20 levels deep."
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("bundle", "message", "where"),
    [
        (
            lambda: referral(condition((SNOMED, "42345000"), extension=json.loads("[" * 30 + "]" * 30))),
            "The Bundle is nested more than 20 levels deep.",
            "Bundle.entry[1].resource.extension",
        ),
        (
            lambda: referral(*[pain(5, id=f"o{i}") for i in range(120)]),
            "Too many entries: the Bundle has 121; at most 100 per referral.",
            "Bundle.entry",
        ),
        (
            lambda: referral(condition((SNOMED, "42345000")), *[pain(5, id=f"o{i}") for i in range(51)]),
            "Too many Observation resources: the Bundle has 51; at most 50 per referral.",
            "Bundle.entry",
        ),
        (
            lambda: referral(*[condition((SNOMED, "42345000"), id=f"c{i}") for i in range(21)]),
            "Too many Condition resources: the Bundle has 21; at most 20 per referral.",
            "Bundle.entry",
        ),
        (
            lambda: referral(condition((SNOMED, "42345000"), note=[{"text": "x" * 10_001}])),
            "A text is longer than 10000 characters.",
            "Bundle.entry[1].resource.note[0].text",
        ),
        (
            lambda: referral(condition((SNOMED, "42345000")), the_patient=patient(telecom=[{}] * 201)),
            "A list has more than 200 items.",
            "Bundle.entry[0].resource.telecom",
        ),
    ],
)
def test_structural_limits_are_422_naming_what_was_too_many(api, bundle, message, where):
    response = api.post(f"{BASE}/", json.dumps(bundle()), content_type=FHIR)

    assert response.status_code == 422, response.json()
    issue = response.json()["issue"][0]
    assert issue["diagnostics"] == message
    assert issue["expression"][0].startswith(where)
    assert _nothing_stored()


def test_a_referral_at_the_limits_is_imported(api):
    bundle = referral(
        *[condition((SNOMED, "42345000"), id=f"c{i}") for i in range(20)],
        *[pain(i % 11, id=f"o{i}") for i in range(50)],
    )

    response = api.post(f"{BASE}/", json.dumps(bundle), content_type=FHIR)

    assert response.status_code == 201, response.json()
    assert InstrumentResponse.objects.count() == 50
