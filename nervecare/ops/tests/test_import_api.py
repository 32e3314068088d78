"""The API offers the import's operations: upload, map, dry run, commit, read the progress; and refuses by role."""

import json

import pytest

from nervecare.clients.models import Client
from nervecare.conftest import login
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CSV = "Fn,Ln,Born,Id\r\nAnn,Lee,02/03/1970,x1\r\nBo,Lind,,x2\r\n"


@pytest.fixture
def http(clinic):
    return login(UserFactory(username="owner", clinic=clinic, role="admin"))


def _j(response):
    return response.status_code, response.json()


def test_upload_map_dry_run_commit_and_again(http):
    status, run = _j(
        http.post(
            "/api/v1/imports",
            json.dumps({"kind": "clients", "content": CSV, "filename": "old.csv"}),
            content_type="application/json",
        )
    )
    assert status == 201 and run["headers"] == ["Fn", "Ln", "Born", "Id"] and run["total_rows"] == 2
    url = f"/api/v1/imports/{run['id']}"
    status, body = _j(
        http.put(
            f"{url}/mapping", json.dumps({"mapping": {"first_name": "Nope"}}), content_type="application/json"
        )
    )
    assert status == 422
    assert {
        "field": "mapping.first_name",
        "label": "First name",
        "message": "the file has no column called “Nope”",
    } in body["errors"]
    mapping = {"first_name": "Fn", "last_name": "Ln", "date_of_birth": "Born", "external_id": "Id"}
    status, run = _j(
        http.put(
            f"{url}/mapping",
            json.dumps({"mapping": mapping, "date_format": "dmy"}),
            content_type="application/json",
        )
    )
    assert status == 200
    status, run = _j(http.post(f"{url}/dry-run", "{}", content_type="application/json"))
    assert run["report"]["errors"] == [
        {"row": 3, "column": "Born", "field": "Date of birth", "message": "is empty"}
    ]
    status, body = _j(http.post(f"{url}/commit", "{}", content_type="application/json"))
    assert status == 422 and "1 problems" in body["errors"][0]["message"]
    assert not Client.objects.exists()

    fixed = CSV.replace("Bo,Lind,,", "Bo,Lind,04/05/1971,")
    for _ in range(2):
        _, run = _j(
            http.post(
                "/api/v1/imports",
                json.dumps({"kind": "clients", "content": fixed}),
                content_type="application/json",
            )
        )
        url = f"/api/v1/imports/{run['id']}"
        http.put(
            f"{url}/mapping",
            json.dumps({"mapping": mapping, "date_format": "dmy"}),
            content_type="application/json",
        )
        http.post(f"{url}/dry-run", "{}", content_type="application/json")
        status, run = _j(http.post(f"{url}/commit", "{}", content_type="application/json"))
        assert status == 200 and run["status"] == "done"
    assert run["report"]["already_imported"] == 2
    assert Client.objects.count() == 2
    assert _j(http.get(url))[1]["processed_rows"] == 2
    assert [p["code"] for p in _j(http.get("/api/v1/imports/presets?kind=clients"))[1]][:2] == [
        "generic",
        "cliniko",
    ]


def test_only_admins(therapist_user, front_desk_user):
    for user in (therapist_user, front_desk_user):
        response = login(user).post(
            "/api/v1/imports",
            json.dumps({"kind": "clients", "content": CSV}),
            content_type="application/json",
        )
        assert response.status_code == 403


def test_tokens_with_the_import_scopes_may_import(clinic):
    """The import routes are in api_scopes.yaml: a token with imports:write uploads and commits, one with
    imports:read follows the run, and a token without them is refused naming the scope it lacks."""
    from django.test import Client as HttpClient

    from nervecare.core.services import api_token_create

    owner = UserFactory(username="owner", clinic=clinic, role="admin")
    _, writer = api_token_create(user=owner, name="migration", scopes=["imports:read", "imports:write"])
    _, reader = api_token_create(user=owner, name="records", scopes=["clients:read"])
    http = HttpClient()

    def auth(plain):
        return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}

    r = http.post(
        "/api/v1/imports",
        json.dumps({"kind": "clients", "content": CSV, "filename": "old.csv"}),
        content_type="application/json",
        **auth(writer),
    )
    assert r.status_code == 201, r.content
    run = r.json()["id"]
    assert http.get(f"/api/v1/imports/{run}", **auth(writer)).status_code == 200
    assert http.get("/api/v1/imports/presets?kind=clients", **auth(writer)).status_code == 200
    refused = http.get("/api/v1/imports", **auth(reader))
    assert refused.status_code == 403 and "imports:read" in refused.json()["detail"]
    refused = http.post(f"/api/v1/imports/{run}/commit", **auth(reader))
    assert refused.status_code == 403 and "imports:write" in refused.json()["detail"]
    assert http.get("/api/v1/clinic/export", **auth(reader)).status_code == 403
