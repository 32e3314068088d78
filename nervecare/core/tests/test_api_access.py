"""Who may call which API route: the permission matrix, bearer tokens, CSRF, schema and audit trail."""

import datetime

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from nervecare.clients.models import Client, ClientShare
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent, Therapist
from nervecare.core.services import api_token_create, api_token_revoke
from nervecare.core.tests.factories import UserFactory
from nervecare.plans.models import CarePlan
from nervecare.plans.services import plan_propose
from nervecare.screening.models import InstrumentResponse, SafetyFlag
from nervecare.screening.services import response_create

pytestmark = pytest.mark.django_db

JSON = "application/json"
FIRST, LAST = "Zebediah", "Quillfeather"

INTAKE = {
    "client": {"first_name": "Nora", "last_name": "Halvorsen", "date_of_birth": "1961-07-09"},
    "conditions": [{"type": "peripheral", "cause": "diabetes_t2"}],
}


@pytest.fixture
def zeb(clinic, therapist_user):
    """Alice's client, with a screening, open flags and a proposed plan, so every route has data to leak."""
    client = ClientFactory(clinic=clinic, first_name=FIRST, last_name=LAST)
    ConditionFactory(
        client=client, type="peripheral", cause="diabetes_t2", notes=f"{FIRST} says the feet burn"
    )
    MedicalContextFactory(
        client=client, dvt_history=True, dvt_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    response_create(actor=therapist_user, client=client, instrument="nrs_pain", answers={"pain": 6})
    plan_propose(actor=therapist_user, client=client)
    return client


# (name, method, path, body). "{id}" is Zebediah's client id.
ROUTES = [
    ("list clients", "get", "/api/v1/clients", None),
    ("get client", "get", "/api/v1/clients/{id}", None),
    ("history", "get", "/api/v1/clients/{id}/history", None),
    ("responses", "get", "/api/v1/clients/{id}/responses", None),
    (
        "add response",
        "post",
        "/api/v1/clients/{id}/responses",
        {"instrument": "nrs_pain", "answers": {"pain": 2}},
    ),
    ("flags", "get", "/api/v1/clients/{id}/flags", None),
    ("plans", "get", "/api/v1/clients/{id}/plans", None),
    ("propose plan", "post", "/api/v1/clients/{id}/plans", None),
    ("safety-check", "post", "/api/v1/clients/{id}/safety-check", None),
    ("body maps", "get", "/api/v1/clients/{id}/body-maps", None),
    ("patch client", "patch", "/api/v1/clients/{id}", {"phone": "555-0000"}),
    ("patch medical", "patch", "/api/v1/clients/{id}/medical", {"pregnant": True}),
]
ROUTE_IDS = [r[0] for r in ROUTES]
ALLOWED_STATUS = {"get": 200, "patch": 200, "post": 201, "safety-check": 200}


def call(http, method, path, body, client_id):
    url = path.format(id=client_id)
    if body is None:
        return getattr(http, method)(url)
    return getattr(http, method)(url, body, content_type=JSON)


def expected_allowed(name, method):
    return ALLOWED_STATUS["safety-check"] if name == "safety-check" else ALLOWED_STATUS[method]


def stored_state(client):
    client.refresh_from_db()
    return {
        "responses": InstrumentResponse.objects.count(),
        "flags": list(SafetyFlag.objects.order_by("id").values_list("id", "status", "last_checked_at")),
        "plans": CarePlan.objects.count(),
        "audit": AuditEvent.objects.count(),
        "phone": client.phone,
        "medical": client.medical.pregnant,
        "history": client.history.count(),
    }


def assert_no_name(response):
    text = response.content.decode()
    assert FIRST not in text and LAST not in text, text


@pytest.fixture
def people(therapist_user, junior_therapist_user, front_desk_user, other_clinic_user, clinic):
    portal_client = UserFactory(username="cleo", clinic=clinic, role="client")
    owner = UserFactory(username="oona", clinic=clinic, role="admin")
    return {
        "alice": login(therapist_user),
        "bob": login(junior_therapist_user),
        "oona": login(owner),
        "frank": login(front_desk_user),
        "cleo": login(portal_client),
        "olga": login(other_clinic_user),
        "anonymous": HttpClient(),
    }


@pytest.mark.parametrize("who", ["alice", "bob", "oona"])
@pytest.mark.parametrize(("name", "method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_clinical_staff_who_may_see_the_client_are_allowed(people, zeb, who, name, method, path, body):
    """Alice treats Zebediah, Oona is the clinic's admin, and Bob has the record shared with him."""
    share_with_bob(zeb)

    r = call(people[who], method, path, body, zeb.id)

    assert r.status_code == expected_allowed(name, method), r.content
    if name in ("list clients", "get client"):
        assert LAST in r.content.decode()


@pytest.mark.parametrize("who", ["frank", "cleo"])
@pytest.mark.parametrize(("name", "method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_front_desk_and_clients_get_403_on_clinical_data(people, zeb, who, name, method, path, body):
    before = stored_state(zeb)

    r = call(people[who], method, path, body, zeb.id)

    assert r.status_code == 403, r.content
    assert r.json()["detail"]
    assert_no_name(r)
    assert stored_state(zeb) == before


def share_with_bob(zeb):
    bob = Therapist.objects.get(user__username="bob")
    ClientShare.objects.create(client=zeb, therapist=bob, reason="cover while Alice is away")


@pytest.mark.parametrize(("name", "method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_a_therapist_of_the_clinic_who_does_not_treat_the_client_gets_404(
    people, zeb, name, method, path, body
):
    """Bob works in the same clinic but neither treats Zebediah nor has the record shared with him."""
    before = stored_state(zeb)

    r = call(people["bob"], method, path, body, zeb.id)

    assert_no_name(r)
    assert stored_state(zeb) == before
    if name == "list clients":
        assert r.status_code == 200
        assert zeb.id not in {c["id"] for c in r.json()}
    else:
        assert r.status_code == 404, r.content
        missing = call(people["bob"], method, path, body, 999_999)
        assert (missing.status_code, missing.json()) == (r.status_code, r.json())


@pytest.mark.parametrize(("name", "method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_another_clinics_therapist_gets_404_and_never_sees_the_client(people, zeb, name, method, path, body):
    before = stored_state(zeb)

    r = call(people["olga"], method, path, body, zeb.id)

    assert_no_name(r)
    assert stored_state(zeb) == before
    if name == "list clients":
        assert r.status_code == 200
        assert zeb.id not in {c["id"] for c in r.json()}
    else:
        assert r.status_code == 404, r.content
        # The same answer as for a client that does not exist: no way to probe for ids.
        missing = call(people["olga"], method, path, body, 999_999)
        assert (missing.status_code, missing.json()) == (r.status_code, r.json())


def test_another_clinics_search_never_finds_the_client(people, zeb, other_clinic):
    ClientFactory(clinic=other_clinic, first_name="Olgas", last_name="Own")

    for query in (f"?search={LAST}", f"?search={FIRST}", "?type=peripheral", "?cause=diabetes_t2", ""):
        r = people["olga"].get(f"/api/v1/clients{query}")
        assert r.status_code == 200
        assert_no_name(r)


@pytest.mark.parametrize(("name", "method", "path", "body"), ROUTES, ids=ROUTE_IDS)
def test_anonymous_gets_401(people, zeb, name, method, path, body):
    before = stored_state(zeb)

    r = call(people["anonymous"], method, path, body, zeb.id)

    assert r.status_code == 401, r.content
    assert r.json()["detail"]
    assert_no_name(r)
    assert stored_state(zeb) == before


@pytest.mark.parametrize("who", ["frank", "cleo", "anonymous"])
def test_denied_people_cannot_create_a_client(people, who):
    before = Client.objects.count()

    r = people[who].post("/api/v1/clients", INTAKE, content_type=JSON)

    assert r.status_code in (401, 403)
    assert Client.objects.count() == before


def test_another_clinics_therapist_creates_clients_in_her_own_clinic(people, other_clinic):
    r = people["olga"].post("/api/v1/clients", INTAKE, content_type=JSON)

    assert r.status_code == 201
    assert Client.objects.get(pk=r.json()["id"]).clinic == other_clinic
    assert r.json()["id"] not in {c["id"] for c in people["alice"].get("/api/v1/clients").json()}


def test_front_desk_is_signed_in_but_not_clinical(people):
    r = people["frank"].get("/api/v1/me")

    assert r.status_code == 200
    assert r.json() == {"username": "frank", "role": "front_desk", "clinic": "Riverside"}


# --- Bearer tokens ------------------------------------------------------------------------------------


CLIENTS_RW = ["clients:read", "clients:write"]


def bearer(plain):
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_bearer_token_reads_and_writes(therapist_user, zeb):
    _, plain = api_token_create(user=therapist_user, name="practice software", scopes=CLIENTS_RW)
    http = HttpClient()

    read = http.get(f"/api/v1/clients/{zeb.id}", **bearer(plain))
    write = http.patch(f"/api/v1/clients/{zeb.id}", {"phone": "555-0123"}, content_type=JSON, **bearer(plain))

    assert read.status_code == 200
    assert read.json()["last_name"] == LAST
    assert write.status_code == 200
    zeb.refresh_from_db()
    assert zeb.phone == "555-0123"
    history = http.get(f"/api/v1/clients/{zeb.id}/history", **bearer(plain)).json()
    assert history[0]["by"] == "alice"
    assert AuditEvent.objects.filter(action="view", actor=therapist_user, object_id=str(zeb.id)).exists()


def test_bearer_token_records_when_it_was_used(therapist_user, zeb):
    token, plain = api_token_create(user=therapist_user, name="practice software", scopes=CLIENTS_RW)

    HttpClient().get("/api/v1/clients", **bearer(plain))

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_bearer_token_writes_without_a_csrf_cookie(therapist_user):
    _, plain = api_token_create(user=therapist_user, name="practice software", scopes=CLIENTS_RW)
    http = HttpClient(enforce_csrf_checks=True)

    r = http.post("/api/v1/clients", INTAKE, content_type=JSON, **bearer(plain))

    assert r.status_code == 201, r.content


def test_session_write_without_csrf_token_is_refused(therapist_user):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(therapist_user)

    r = http.post("/api/v1/clients", INTAKE, content_type=JSON)

    assert r.status_code == 403
    assert not Client.objects.exists()


def test_session_write_with_csrf_token_is_accepted(therapist_user):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(therapist_user)
    secret = "abcdefghijklmnopqrstuvwxyzABCDEF"
    http.cookies[settings.CSRF_COOKIE_NAME] = secret

    r = http.post("/api/v1/clients", INTAKE, content_type=JSON, HTTP_X_CSRFTOKEN=secret)

    assert r.status_code == 201, r.content


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer nc_not-a-real-token", id="unknown-token"),
        pytest.param("Bearer ", id="empty-token"),
        pytest.param("Basic YWxpY2U6cGFzcw==", id="wrong-scheme"),
    ],
)
def test_bad_authorization_header_gets_401(zeb, header):
    r = HttpClient().get(f"/api/v1/clients/{zeb.id}", HTTP_AUTHORIZATION=header)

    assert r.status_code == 401
    assert_no_name(r)


def test_revoked_token_gets_401(therapist_user, zeb):
    token, plain = api_token_create(user=therapist_user, name="old laptop", scopes=["clients:read"])
    http = HttpClient()
    assert http.get(f"/api/v1/clients/{zeb.id}", **bearer(plain)).status_code == 200

    api_token_revoke(token=token)
    r = http.get(f"/api/v1/clients/{zeb.id}", **bearer(plain))

    assert r.status_code == 401
    assert_no_name(r)


def test_token_of_a_deactivated_user_gets_401(therapist_user, zeb):
    _, plain = api_token_create(user=therapist_user, name="laptop", scopes=["clients:read"])
    therapist_user.is_active = False
    therapist_user.save()

    r = HttpClient().get(f"/api/v1/clients/{zeb.id}", **bearer(plain))

    assert r.status_code == 401


def test_front_desk_token_gets_403(front_desk_user, zeb):
    _, plain = api_token_create(user=front_desk_user, name="desk", scopes=["clients:read"])

    r = HttpClient().get(f"/api/v1/clients/{zeb.id}", **bearer(plain))

    assert r.status_code == 403
    assert_no_name(r)


def test_other_clinics_token_gets_404(other_clinic_user, zeb):
    _, plain = api_token_create(user=other_clinic_user, name="olga", scopes=["clients:read"])

    r = HttpClient().get(f"/api/v1/clients/{zeb.id}", **bearer(plain))

    assert r.status_code == 404
    assert_no_name(r)


# --- Schema -------------------------------------------------------------------------------------------


def test_openapi_schema_is_served_and_lists_the_clients_path(api):
    r = api.get("/api/v1/openapi.json")

    assert r.status_code == 200
    schema = r.json()
    assert schema["info"]["title"] == "NerveCare API"
    assert "/api/v1/clients" in schema["paths"]
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/clients"])
    assert "/api/v1/clients/{client_id}" in schema["paths"]


# --- Audit trail --------------------------------------------------------------------------------------


def test_reading_a_client_writes_a_view_event_with_the_actor(api, therapist_user, zeb):
    before = AuditEvent.objects.filter(action="view").count()

    api.get(f"/api/v1/clients/{zeb.id}")

    events = AuditEvent.objects.filter(action="view")
    assert events.count() == before + 1
    event = events.first()
    assert (event.actor, event.object_type, event.object_id) == (
        therapist_user,
        "clients.client",
        str(zeb.id),
    )
    assert event.clinic == zeb.clinic
    assert event.ip_address == "127.0.0.1"


def test_creating_a_client_writes_a_create_event_with_the_actor(api, therapist_user):
    r = api.post("/api/v1/clients", INTAKE, content_type=JSON)

    event = AuditEvent.objects.get(
        action="create", object_type="clients.client", object_id=str(r.json()["id"])
    )
    assert event.actor == therapist_user
    assert event.clinic == therapist_user.clinic


@pytest.mark.parametrize("who", ["frank", "olga", "anonymous"])
def test_denied_reads_write_no_view_event(people, zeb, who):
    people[who].get(f"/api/v1/clients/{zeb.id}")

    assert not AuditEvent.objects.filter(action="view").exists()


@pytest.mark.django_db
def test_every_api_error_is_json(api, clinic):
    from django.test import Client as HttpClient

    unknown = api.get("/api/v1/nope")
    assert unknown.status_code == 404 and unknown.json()["detail"]
    wrong_method = api.delete("/api/v1/clients")
    assert wrong_method.status_code == 405 and "GET" in wrong_method.json()["detail"]
    anonymous = HttpClient(enforce_csrf_checks=True).post(
        "/api/v1/clients", {}, content_type="application/json"
    )
    assert anonymous.status_code == 401 and anonymous.json()["detail"]


@pytest.mark.django_db
def test_an_oversized_body_is_a_json_413_and_stores_nothing(api):
    from nervecare.clients.models import Client

    intake = {
        "client": {
            "first_name": "Big",
            "last_name": "Body",
            "date_of_birth": "1950-01-01",
            "goals": "x" * 3_000_000,
        },
        "conditions": [{"type": "peripheral", "cause": "unknown"}],
    }
    r = api.post("/api/v1/clients", intake, content_type="application/json")
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
    assert Client.objects.count() == 0
