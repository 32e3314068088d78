"""The read-only FHIR REST API: CapabilityStatement, read, search with keyset paging, permissions, audit."""

import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from nervecare.clients.models import ClientShare
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.core.services import api_token_create
from nervecare.core.tests.factories import UserFactory
from nervecare.interop import codes
from nervecare.interop.selectors import RESOURCE_TYPES
from nervecare.interop.tests.conftest import fhir_valid, make_record

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"


def bearer(plain):
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def get(http, url, **extra):
    response = http.get(url, **extra)
    assert response["Content-Type"].startswith("application/fhir+json"), response.content
    return response, response.json()


def assert_outcome(body, code=None):
    fhir_valid(body)
    assert body["resourceType"] == "OperationOutcome"
    if code:
        assert body["issue"][0]["code"] == code, body


def ids(bundle, resource_type=None):
    return [
        e["resource"]["id"]
        for e in bundle["entry"]
        if e["search"]["mode"] == "match"
        and (resource_type is None or e["resource"]["resourceType"] == resource_type)
    ]


def follow_all(http, url, **extra):
    """Every page of a search, following next links; returns the ids in order and the number of pages."""
    found, pages = [], 0
    while url:
        response, bundle = get(http, url, **extra)
        assert response.status_code == 200, bundle
        fhir_valid(bundle)
        pages += 1
        found += ids(bundle)
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        if url:
            url = url.removeprefix("http://testserver")
    return found, pages


# --- CapabilityStatement --------------------------------------------------------------------------------------


def test_metadata_answers_without_login():
    response, body = get(HttpClient(), f"{BASE}/metadata")

    assert response.status_code == 200
    fhir_valid(body)
    assert body["fhirVersion"] == "4.0.1" and body["kind"] == "instance"
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(resources) == set(RESOURCE_TYPES)
    assert {p["name"] for p in resources["Patient"]["searchParam"]} >= {"name", "birthdate"}
    assert {p["name"] for p in resources["Observation"]["searchParam"]} >= {"patient", "code", "date"}
    assert {p["name"] for p in resources["Appointment"]["searchParam"]} >= {"date"}
    assert body["rest"][0]["operation"][0]["name"] == "export"


def test_metadata_refuses_xml():
    response, body = get(HttpClient(), f"{BASE}/metadata?_format=xml")

    assert response.status_code == 406
    assert_outcome(body, "not-supported")


# --- read --------------------------------------------------------------------------------------------------------


def all_ids(record, therapist_user, clinic):
    n = record.note.pk
    return {
        "Patient": str(record.client.pk),
        "Practitioner": str(therapist_user.therapist.pk),
        "Organization": str(clinic.pk),
        "Condition": str(record.conditions[0].pk),
        "Questionnaire": "mnsi-history",
        "QuestionnaireResponse": str(record.responses["dn4"].pk),
        "Observation": f"note-{n}-pain-after",
        "Flag": str(record.flags[0].pk),
        "CarePlan": str(record.plan.pk),
        "Appointment": str(record.future.pk),
        "Encounter": str(record.past.pk),
        "Procedure": str(n),
        "DocumentReference": f"report-{record.client.pk}",
    }


def test_read_every_resource_type_with_a_bearer_token(record, therapist_user, clinic, token):
    for resource_type, resource_id in all_ids(record, therapist_user, clinic).items():
        response, body = get(HttpClient(), f"{BASE}/{resource_type}/{resource_id}", **bearer(token))
        assert response.status_code == 200, (resource_type, body)
        fhir_valid(body)
        assert (body["resourceType"], body["id"]) == (resource_type, resource_id)
        assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("obs_id", ["resp-{resp}", "cond-{cond}-pain", "note-{note}-soreness-after"])
def test_read_observations_of_each_source(record, api, obs_id):
    obs_id = obs_id.format(
        resp=record.responses["nrs_pain"].pk, cond=record.conditions[0].pk, note=record.note.pk
    )

    response, body = get(api, f"{BASE}/Observation/{obs_id}")

    assert response.status_code == 200
    assert fhir_valid(body)["id"] == obs_id


def test_read_is_audited(record, api, therapist_user):
    before = AuditEvent.objects.filter(action="view").count()

    get(api, f"{BASE}/Condition/{record.conditions[0].pk}")

    event = AuditEvent.objects.filter(action="view").order_by("-id").first()
    assert AuditEvent.objects.filter(action="view").count() == before + 1
    assert (event.actor, event.object_type, event.object_id) == (
        therapist_user,
        "clients.client",
        str(record.client.pk),
    )
    assert event.summary == f"FHIR read Condition/{record.conditions[0].pk}"


@pytest.mark.parametrize(
    "path",
    [
        "Patient/999999",
        "Observation/resp-999999",
        "Observation/nonsense",
        "Encounter/{future}",
        "Questionnaire/nope",
    ],
)
def test_unknown_ids_are_404_outcomes(record, api, path):
    response, body = get(
        api, f"{BASE}/{path.format(future=record.future.pk)}"
    )  # a booked visit is no Encounter

    assert response.status_code == 404
    assert_outcome(body, "not-found")


def test_unknown_type_and_path_are_404_outcomes(api):
    for url in (f"{BASE}/Medication/1", f"{BASE}/Medication", f"{BASE}/Patient/1/_history", f"{BASE}/x/y/z"):
        response, body = get(api, url)
        assert response.status_code == 404, url
        assert_outcome(body, "not-found")


def test_writes_to_resources_are_405(record, api):
    response = api.post(f"{BASE}/Patient", {}, content_type="application/fhir+json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    response = api.delete(f"{BASE}/Patient/{record.client.pk}")
    assert response.status_code == 405
    assert_outcome(response.json(), "not-supported")


# --- permissions ---------------------------------------------------------------------------------------------------


def test_anonymous_is_401_with_an_outcome(record):
    response, body = get(HttpClient(), f"{BASE}/Patient/{record.client.pk}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_outcome(body, "login")


def test_a_bad_token_is_401(record):
    for header in ("Bearer nc_wrong", "Basic abc", "Bearer "):
        response, body = get(HttpClient(), f"{BASE}/Patient/{record.client.pk}", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert_outcome(body, "login")


def test_front_desk_and_clients_are_403(record, front_desk_user, clinic):
    client_user = UserFactory(username="carla", clinic=clinic, role="client")
    for user in (front_desk_user, client_user):
        for url in (f"{BASE}/Patient/{record.client.pk}", f"{BASE}/Appointment?date=ge2020"):
            response, body = get(login(user), url)
            assert response.status_code == 403, (user, url)
            assert_outcome(body, "forbidden")
    _token, plain = api_token_create(user=front_desk_user, name="desk", scopes=["fhir:read"])
    response, body = get(HttpClient(), f"{BASE}/Patient", **bearer(plain))
    assert response.status_code == 403


def test_another_clinics_resources_are_404(record, other_clinic_user, therapist_user, clinic):
    http = login(other_clinic_user)
    for resource_type, resource_id in all_ids(record, therapist_user, clinic).items():
        if resource_type == "Questionnaire":
            continue  # definitions are not any clinic's
        response, body = get(http, f"{BASE}/{resource_type}/{resource_id}")
        assert response.status_code == 404, resource_type
        assert_outcome(body, "not-found")
    response, body = get(http, f"{BASE}/Patient?name=Maria")
    assert ids(body) == []


def test_a_therapist_reads_only_the_notes_of_their_own_sessions(record, junior_therapist_user, admin_user):
    n = record.note.pk
    bob = login(junior_therapist_user)
    assert bob.get(f"{BASE}/Patient/{record.client.pk}").status_code == 404  # not his client
    # Shared with Bob (cover): he sees the record, but still not the notes of Alice's sessions.
    ClientShare.objects.create(client=record.client, therapist=junior_therapist_user.therapist)
    assert bob.get(f"{BASE}/Patient/{record.client.pk}").status_code == 200
    for url in (f"{BASE}/Procedure/{n}", f"{BASE}/Observation/note-{n}-pain-before"):
        assert bob.get(url).status_code == 404
    assert bob.get(f"{BASE}/Encounter/{record.past.pk}").status_code == 200  # the visit itself is no note
    _response, bundle = get(bob, f"{BASE}/Observation?patient={record.client.pk}&_count=100")
    assert not [i for i in ids(bundle) if i.startswith("note-")]
    ada = login(admin_user)
    assert ada.get(f"{BASE}/Procedure/{n}").status_code == 200


# --- search -----------------------------------------------------------------------------------------------------


@pytest.fixture
def people(clinic, other_clinic):
    made = {
        "maria": ClientFactory(
            clinic=clinic, first_name="Maria", last_name="Lopez", date_of_birth=datetime.date(1958, 3, 14)
        ),
        "mario": ClientFactory(
            clinic=clinic, first_name="Mario", last_name="Rossi", date_of_birth=datetime.date(1961, 7, 2)
        ),
        "ana": ClientFactory(
            clinic=clinic, first_name="Ana", last_name="Marin", date_of_birth=datetime.date(1958, 11, 30)
        ),
        "lee": ClientFactory(
            clinic=clinic, first_name="Lee", last_name="Park", date_of_birth=datetime.date(1972, 1, 5)
        ),
    }
    ClientFactory(
        clinic=other_clinic, first_name="Maria", last_name="Other", date_of_birth=datetime.date(1958, 3, 14)
    )
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=mar", {"maria", "mario", "ana"}),  # start of the given or family name, any case
        ("name=MARIA", {"maria"}),
        ("name:exact=Maria", {"maria"}),
        ("name:contains=ari", {"maria", "mario", "ana"}),
        ("family=lo", {"maria"}),
        ("given=lee", {"lee"}),
        ("name=maria,lee", {"maria", "lee"}),
        ("name=mar&name=ros", {"mario"}),
        ("birthdate=1958-03-14", {"maria"}),
        ("birthdate=1958", {"maria", "ana"}),
        ("birthdate=1958-11", {"ana"}),
        ("birthdate=ge1961-07-02", {"mario", "lee"}),
        ("birthdate=gt1961-07-02", {"lee"}),
        ("birthdate=le1958-12-31", {"maria", "ana"}),
        ("birthdate=lt1958-11-30", {"maria"}),
        ("birthdate=ge1958&birthdate=lt1962", {"maria", "mario", "ana"}),
        ("name=mar&birthdate=1958", {"maria", "ana"}),
        ("birthdate=ne1958", {"mario", "lee"}),
    ],
)
def test_patient_search(api, people, query, expected):
    response, bundle = get(api, f"{BASE}/Patient?{query}")

    assert response.status_code == 200, bundle
    fhir_valid(bundle)
    assert bundle["type"] == "searchset"
    assert set(ids(bundle)) == {str(people[k].pk) for k in expected}
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"http://testserver{BASE}/Patient/{entry['resource']['id']}"


def test_patient_search_by_identifier(api, people):
    maria = people["maria"]
    for query in (f"identifier={maria.pk}", f"identifier={codes.SID_CLIENT}|{maria.pk}"):
        _response, bundle = get(api, f"{BASE}/Patient?{query}")
        assert ids(bundle) == [str(maria.pk)]


def test_search_is_audited_once_per_client(api, people, therapist_user):
    before = AuditEvent.objects.filter(action="view", summary="FHIR search Patient").count()

    get(api, f"{BASE}/Patient?name=mar")

    assert AuditEvent.objects.filter(action="view", summary="FHIR search Patient").count() == before + 3


def observation_ids(http, client, query=""):
    found, _pages = follow_all(http, f"{BASE}/Observation?patient=Patient/{client.pk}&_count=4{query}")
    return found


def test_observation_search_by_patient_code_and_date(record, api, therapist_user):
    other = make_record(therapist_user, first="Ines", last="Costa", hours_earlier=3)
    n, c = record.note.pk, record.conditions[0].pk
    everything = observation_ids(api, record.client)
    assert len(everything) == len(set(everything))
    assert not set(observation_ids(api, other.client)) & set(everything)

    pain = set(observation_ids(api, record.client, "&code=http://loinc.org|72514-3"))
    assert pain == {
        f"resp-{record.responses['nrs_pain'].pk}",
        f"note-{n}-pain-before",
        f"note-{n}-pain-after",
        f"cond-{c}-pain",
    }
    assert set(observation_ids(api, record.client, "&code=72514-3")) == pain
    numbness = set(observation_ids(api, record.client, f"&code={codes.CS_OBSERVATION}|nrs_numbness"))
    assert numbness == {
        f"resp-{record.responses['nrs_numbness'].pk}",
        f"note-{n}-numbness-before",
        f"note-{n}-numbness-after",
        f"cond-{c}-numbness",
    }
    assert set(observation_ids(api, record.client, "&code=mnsi_history")) == {
        f"resp-{record.responses['mnsi_history'].pk}"
    }

    session_day = record.past.starts_at.date()
    on_the_day = set(observation_ids(api, record.client, f"&date={session_day.isoformat()}"))
    assert f"note-{n}-pain-before" in on_the_day and f"resp-{record.responses['pgic'].pk}" not in on_the_day
    start = record.past.starts_at.isoformat().replace("+00:00", "Z")
    after_start = set(observation_ids(api, record.client, f"&code=72514-3&date=gt{start}"))
    assert after_start == {f"note-{n}-pain-after", f"cond-{c}-pain"}  # the intake ratings are newer still
    window = set(
        observation_ids(
            api,
            record.client,
            f"&code=72514-3&date=ge{session_day - datetime.timedelta(days=4)}&date=le{session_day}",
        )
    )
    assert window == {
        f"resp-{record.responses['nrs_pain'].pk}",
        f"note-{n}-pain-before",
        f"note-{n}-pain-after",
    }


def test_appointment_search_by_date(record, api):
    future_day = record.future.starts_at.date()
    _r, bundle = get(api, f"{BASE}/Appointment?date={future_day}")
    assert ids(bundle) == [str(record.future.pk)]
    _r, bundle = get(api, f"{BASE}/Appointment?date=ge{future_day}")
    assert set(ids(bundle)) == {str(record.future.pk), str(record.cancelled.pk)}
    _r, bundle = get(api, f"{BASE}/Appointment?date=lt{future_day}&patient={record.client.pk}")
    assert ids(bundle) == [str(record.past.pk)]
    _r, bundle = get(api, f"{BASE}/Appointment?status=cancelled")
    assert ids(bundle) == [str(record.cancelled.pk)]
    for entry in bundle["entry"]:
        fhir_valid(entry["resource"])


def test_paging_is_keyset_and_complete(api, clinic, django_assert_max_num_queries):
    made = [ClientFactory(clinic=clinic, last_name=f"Page{i:02}") for i in range(11)]
    with CaptureQueriesContext(connection) as queries:
        found, pages = follow_all(api, f"{BASE}/Patient?family=page&_count=3")
    assert found == [str(c.pk) for c in sorted(made, key=lambda c: c.pk)]
    assert pages == 4
    assert not [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"].upper()]
    with django_assert_max_num_queries(12):
        api.get(f"{BASE}/Patient?family=page&_count=3")


def test_observation_paging_crosses_sources_without_loss(record, api):
    everything = observation_ids(api, record.client)
    for count in (1, 2, 3, 7, 500):
        found, _pages = follow_all(api, f"{BASE}/Observation?patient={record.client.pk}&_count={count}")
        assert found == everything, count


def test_page_links(api, people):
    _r, first = get(api, f"{BASE}/Patient?name=mar&_count=2")
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "next"}
    assert parse_qs(urlparse(links["self"]).query) == {"name": ["mar"], "_count": ["2"]}
    _r, second = get(api, links["next"].removeprefix("http://testserver"))
    assert {link["relation"] for link in second["link"]} == {"self", "first"}
    assert len(ids(first)) == 2 and len(ids(second)) == 1


@pytest.mark.parametrize(
    "query",
    [
        "Patient?birthdate=yesterday",
        "Patient?birthdate=ap1958",
        "Patient?birthdate=1958-02-30",
        "Patient?_count=lots",
        "Patient?_count=0",
        "Patient?_cursor=abc",
        "Patient?name:fuzzy=x",
        "Observation?date=2024-01-01T10:00",
        "Observation?code:text=pain",
        "Patient?name=",
    ],
)
def test_bad_searches_are_400_outcomes(api, query):
    response, body = get(api, f"{BASE}/{query}")

    assert response.status_code == 400, body
    assert_outcome(body, "invalid")


def test_unknown_parameters_are_ignored_unless_strict(api, people):
    response, bundle = get(api, f"{BASE}/Patient?name=lee&_sort=name&colour=blue")
    assert response.status_code == 200
    assert ids(bundle) == [str(people["lee"].pk)]
    outcome = next(e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome")
    assert "colour" in outcome["issue"][0]["diagnostics"]
    assert "colour" not in next(link["url"] for link in bundle["link"] if link["relation"] == "self")

    response, body = get(api, f"{BASE}/Patient?name=lee&colour=blue", HTTP_PREFER="handling=strict")
    assert response.status_code == 400
    assert_outcome(body, "invalid")
