"""The API's contract (issue 15, point 6): the OpenAPI document at /api/v1/openapi.json is valid, every
operation documents its error responses, and every JSON success names its fields, so a client generated
from the document (openapi-generator, openapi-typescript...) gets typed models instead of bare objects."""

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from nervecare.clients.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "post", "patch", "delete"}
# Files a route may answer as their media type (images: a daily foot-check photo, issue 18).
FILE_TYPES = {
    "text/csv",
    "text/calendar",
    "application/pdf",
    "application/zip",
    "image/png",
    "image/jpeg",
    "image/webp",
}
PUBLIC = {
    ("get", "/api/v1/calendars/therapists/{token}.ics"),  # the token in the URL is the credential
    # the public booking API for new clients (issue 16): no credentials, rate limited per address
    ("get", "/api/v1/public/clinics/{slug}"),
    ("get", "/api/v1/public/clinics/{slug}/services/{service_id}/therapists"),
    ("get", "/api/v1/public/clinics/{slug}/services/{service_id}/times"),
    ("post", "/api/v1/public/clinics/{slug}/bookings"),
    ("post", "/api/v1/public/clinics/{slug}/bookings/confirm"),
}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _schema(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _untyped(document, schema) -> bool:
    """An object without named properties (what `response=dict` gave), also inside a list."""
    schema = _schema(document, schema)
    if schema.get("type") == "array":
        return _untyped(document, schema.get("items", {}))
    if "anyOf" in schema:
        return any(_untyped(document, s) for s in schema["anyOf"] if s.get("type") != "null")
    return schema.get("type") in (None, "object") and not schema.get("properties")


def _validator(document, name: str) -> Draft202012Validator:
    ref = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return Draft202012Validator(ref)


def test_the_openapi_document_is_valid(document):
    validate(document)  # raises OpenAPIValidationError naming the first rule broken
    assert len(list(_operations(document))) > 80, "the document lost its operations"


def test_every_operation_documents_its_error_responses_as_json(document):
    missing = []
    for method, path, operation in _operations(document):
        responses = {int(code): r for code, r in operation["responses"].items()}
        expected = {400, 422, 429} | ({401, 403} if (method, path) not in PUBLIC else set())
        if "{" in path:
            expected.add(404)
        if not expected <= responses.keys():
            missing.append(f"{method.upper()} {path}: lacks {sorted(expected - responses.keys())}")
        for code, response in responses.items():
            if 400 <= code < 500:
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                properties = _schema(document, schema).get("properties", {})
                if not {"detail", "errors"} <= properties.keys():
                    missing.append(f"{method.upper()} {path}: {code} is not the error shape")
    assert not missing, "\n".join(missing)


def test_no_success_response_is_an_untyped_object(document):
    untyped = []
    for method, path, operation in _operations(document):
        for code, response in operation["responses"].items():
            if not 200 <= int(code) < 300 or int(code) == 204:
                continue
            content = response.get("content", {})
            if "application/json" in content:
                if _untyped(document, content["application/json"].get("schema", {})):
                    untyped.append(f"{method.upper()} {path}: {code}")
            elif not FILE_TYPES & content.keys():
                untyped.append(f"{method.upper()} {path}: {code} documents no body")
    assert not untyped, "\n".join(untyped)


def test_error_and_success_bodies_match_what_the_document_promises(api, document, therapist_user):
    """What a generated client parses: a 404, a 422 and a success, each against its documented schema."""
    not_found = api.get("/api/v1/clients/999999/shares")
    assert not_found.status_code == 404
    assert not list(_validator(document, "ErrorOut").iter_errors(not_found.json()))

    bad = api.post("/api/v1/clients/999999/consents", {}, content_type="application/json")
    assert bad.status_code in (404, 422)
    assert not list(_validator(document, "ErrorOut").iter_errors(bad.json()))

    client = ClientFactory(clinic=therapist_user.clinic)
    shares = api.get(f"/api/v1/clients/{client.id}/shares")
    assert shares.status_code == 200
    share_schema = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/ShareOut"},
        "components": document["components"],
    }
    assert not list(Draft202012Validator(share_schema).iter_errors(shares.json()))
    export = api.get(f"/api/v1/clients/{client.id}/export")
    assert export.status_code == 200
    assert not list(_validator(document, "ClientExportOut").iter_errors(export.json()))
    vocab = api.get("/api/v1/vocabularies")
    assert vocab.status_code == 200
    assert not list(_validator(document, "VocabulariesOut").iter_errors(vocab.json()))
