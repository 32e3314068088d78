"""Scoped, expiring, revocable API tokens: the scope table, 401/403 answers, the CLI and the token API."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.urls import get_resolver
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import ApiToken, AuditEvent
from nervecare.core.scopes import api_route_key, route_scopes, vocabulary
from nervecare.core.services import api_token_create, api_token_revoke
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def bearer(plain):
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


@pytest.fixture
def rosa(clinic, therapist_user):
    return ClientFactory(clinic=clinic, first_name="Rosa", last_name="Lindqvist")


def api_operations():
    """{"METHOD /path"} of every operation the JSON API serves."""
    from nervecare.api import api

    keys = set()
    for router_prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    keys.add(f"{method} /" + (router_prefix + path).strip("/"))
    return keys


def test_every_scope_in_the_route_table_is_in_the_vocabulary_and_every_entry_is_a_real_route():
    operations = api_operations()
    assert operations, "no API operations found"
    stale = set(route_scopes()) - operations
    assert not stale, f"api_scopes.yaml names routes the API does not have: {sorted(stale)}"
    assert {s for v in route_scopes().values() for s in v.split()} <= set(vocabulary()) | {"any"}


def test_route_key_normalises_django_converters():
    assert api_route_key("get", "api/v1/clients/<int:client_id>/plans/<plan_id>") == (
        "GET /clients/{client_id}/plans/{plan_id}"
    )


def test_token_with_the_scope_reads(rosa, therapist_user):
    _, plain = api_token_create(user=therapist_user, name="ehr", scopes=["clients:read"])

    r = HttpClient().get(f"/api/v1/clients/{rosa.id}", **bearer(plain))

    assert r.status_code == 200
    assert r.json()["last_name"] == "Lindqvist"


def test_wrong_scope_is_403_naming_the_missing_scope_and_changes_nothing(rosa, therapist_user):
    _, plain = api_token_create(user=therapist_user, name="reader", scopes=["clients:read"])

    r = HttpClient().patch(
        f"/api/v1/clients/{rosa.id}", {"phone": "555-1"}, content_type=JSON, **bearer(plain)
    )

    assert r.status_code == 403
    body = r.json()
    assert "clients:write" in body["detail"]
    assert body["missing_scope"] == "clients:write"
    assert body["errors"][0]["field"] == "scope"
    assert "Lindqvist" not in r.content.decode()
    rosa.refresh_from_db()
    assert rosa.phone == ""


def test_a_scope_for_one_area_does_not_open_another(rosa, therapist_user):
    _, plain = api_token_create(user=therapist_user, name="scheduler", scopes=["schedule:read"])
    http = HttpClient()

    assert http.get("/api/v1/services", **bearer(plain)).status_code == 200
    r = http.get(f"/api/v1/clients/{rosa.id}/responses", **bearer(plain))
    assert r.status_code == 403
    assert r.json()["missing_scope"] == "screening:read"


def test_a_route_without_a_declared_scope_is_closed_to_tokens(therapist_user):
    _, plain = api_token_create(user=therapist_user, name="all", scopes=list(vocabulary()))

    r = HttpClient().get("/api/v1/tokens", **bearer(plain))

    assert r.status_code == 403
    assert r.json()["missing_scope"] is None
    assert "not available to API tokens" in r.json()["detail"]


def test_scopes_never_widen_the_users_own_rights(rosa, front_desk_user):
    _, plain = api_token_create(user=front_desk_user, name="desk", scopes=list(vocabulary()))

    r = HttpClient().get(f"/api/v1/clients/{rosa.id}", **bearer(plain))

    assert r.status_code == 403
    assert "Lindqvist" not in r.content.decode()


def test_revocation_is_immediate(rosa, therapist_user):
    token, plain = api_token_create(user=therapist_user, name="laptop", scopes=["clients:read"])
    http = HttpClient()
    assert http.get(f"/api/v1/clients/{rosa.id}", **bearer(plain)).status_code == 200

    api_token_revoke(token=token, actor=therapist_user)
    r = http.get(f"/api/v1/clients/{rosa.id}", **bearer(plain))

    assert r.status_code == 401
    assert "Lindqvist" not in r.content.decode()
    assert AuditEvent.objects.filter(
        object_type="core.apitoken", object_id=str(token.pk), action="update"
    ).exists()


def test_expired_token_is_401(rosa, therapist_user):
    token, plain = api_token_create(
        user=therapist_user,
        name="short",
        scopes=["clients:read"],
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    http = HttpClient()
    assert http.get(f"/api/v1/clients/{rosa.id}", **bearer(plain)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    r = http.get(f"/api/v1/clients/{rosa.id}", **bearer(plain))

    assert r.status_code == 401


def test_fhir_needs_fhir_scopes(rosa, therapist_user):
    _, reader = api_token_create(user=therapist_user, name="r", scopes=["clients:read"])
    _, fhir = api_token_create(user=therapist_user, name="f", scopes=["fhir:read"])
    http = HttpClient()

    denied = http.get(f"/fhir/R4/Patient/{rosa.id}", **bearer(reader))
    allowed = http.get(f"/fhir/R4/Patient/{rosa.id}", **bearer(fhir))

    assert denied.status_code == 403
    assert "fhir:read" in denied.content.decode()
    assert "Lindqvist" not in denied.content.decode()
    assert allowed.status_code == 200
    assert "Lindqvist" in allowed.content.decode()


def test_create_rejects_unknown_scopes_and_past_expiry(therapist_user):
    from nervecare.core.errors import FieldErrors

    with pytest.raises(FieldErrors) as exc:
        api_token_create(user=therapist_user, name="x", scopes=["clients:destroy"])
    assert "clients:destroy" in exc.value.errors["scopes"]
    with pytest.raises(FieldErrors) as exc:
        api_token_create(user=therapist_user, name="x", scopes=[])
    assert "scopes" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        api_token_create(
            user=therapist_user,
            name="x",
            scopes=["clients:read"],
            expires_at=timezone.now() - datetime.timedelta(days=1),
        )
    assert "expires_at" in exc.value.errors


# --- the CLI ----------------------------------------------------------------------------------------------


def test_cli_create_list_revoke(rosa, therapist_user):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token",
        "create",
        "alice",
        "--scope",
        "clients:read,plans:read",
        "--expires-days",
        "30",
        stdout=out,
        stderr=err,
    )
    plain = out.getvalue().strip()
    token = ApiToken.objects.get(prefix=plain[:10])
    assert token.scopes == ["clients:read", "plans:read"]
    assert token.expires_at > timezone.now() + datetime.timedelta(days=29)
    assert HttpClient().get(f"/api/v1/clients/{rosa.id}", **bearer(plain)).status_code == 200

    listing = io.StringIO()
    call_command("token", "list", "alice", stdout=listing)
    assert plain[:10] in listing.getvalue() and "clients:read,plans:read" in listing.getvalue()
    assert "active" in listing.getvalue()

    call_command("token", "revoke", plain[:10], stdout=io.StringIO())
    assert HttpClient().get(f"/api/v1/clients/{rosa.id}", **bearer(plain)).status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "alice"], "--scope"),
        (["create", "alice", "--scope", "clients:nope"], "clients:nope"),
        (["create", "alice", "--scope", "clients:read", "--expires-days", "0"], "--expires-days"),
        (["create", "nobody", "--scope", "clients:read"], "nobody"),
        (["revoke", "nc_missing"], "nc_missing"),
    ],
)
def test_cli_errors_name_the_problem(therapist_user, args, message):
    with pytest.raises(CommandError) as exc:
        call_command("token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert message in str(exc.value)


# --- the token API (session only) ---------------------------------------------------------------------------


def test_users_list_and_revoke_their_own_tokens_admins_the_clinics(
    clinic, therapist_user, junior_therapist_user
):
    mine, _ = api_token_create(user=therapist_user, name="mine", scopes=["clients:read"])
    bobs, bob_plain = api_token_create(user=junior_therapist_user, name="bobs", scopes=["clients:read"])
    admin = UserFactory(username="oona", clinic=clinic, role="admin")
    alice = login(therapist_user)

    listed = alice.get("/api/v1/tokens").json()
    assert [t["prefix"] for t in listed] == [mine.prefix]
    assert alice.post(f"/api/v1/tokens/{bobs.id}/revoke").status_code == 404
    bobs.refresh_from_db()
    assert bobs.revoked_at is None

    owner = login(admin)
    assert {t["prefix"] for t in owner.get("/api/v1/tokens").json()} == {mine.prefix, bobs.prefix}
    r = owner.post(f"/api/v1/tokens/{bobs.id}/revoke")
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert HttpClient().get("/api/v1/me", **bearer(bob_plain)).status_code == 401


def test_another_clinics_admin_cannot_see_or_revoke_tokens(therapist_user, other_clinic):
    token, _ = api_token_create(user=therapist_user, name="mine", scopes=["clients:read"])
    olga_admin = login(UserFactory(username="oscar", clinic=other_clinic, role="admin"))

    assert olga_admin.get("/api/v1/tokens").json() == []
    assert olga_admin.post(f"/api/v1/tokens/{token.id}/revoke").status_code == 404


def test_every_api_route_of_the_resolver_is_reachable_by_key():
    """The resolver's routes map onto the same keys as the scope table (so the enforcement finds them)."""
    from django.urls import URLPattern, URLResolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    routes = {r for r in walk(get_resolver().url_patterns) if r.startswith("api/v1/")}
    paths = {api_route_key("GET", r).split(" ", 1)[1] for r in routes}
    for key in route_scopes():
        assert key.split(" ", 1)[1] in paths, key


def test_tokens_page_lists_and_revokes_own_tokens_only(therapist_user, junior_therapist_user):
    mine, plain = api_token_create(user=therapist_user, name="ehr link", scopes=["clients:read"])
    bobs, _ = api_token_create(user=junior_therapist_user, name="bobs", scopes=["clients:read"])
    alice = login(therapist_user)

    page = alice.get("/account/tokens/").content.decode()
    assert "ehr link" in page and mine.prefix in page and "clients:read" in page
    assert bobs.prefix not in page
    assert alice.post(f"/account/tokens/{bobs.id}/revoke/").status_code == 404

    r = alice.post(f"/account/tokens/{mine.id}/revoke/")

    assert r.status_code == 302
    assert HttpClient().get("/api/v1/me", **bearer(plain)).status_code == 401
    bobs.refresh_from_db()
    assert bobs.revoked_at is None
