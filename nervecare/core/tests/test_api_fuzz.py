"""Property-based fuzzing of the whole JSON API from its own OpenAPI schema (schemathesis + Hypothesis).

The app runs on pytest-django's live server on loopback with the demo clinic; the schema is loaded from
/api/v1/openapi.json; every operation gets schema-valid requests (positive) and schema-violating ones
(negative), sent with a therapist's and with the owner's bearer token. Checks for every response:
- never a 5xx (schemathesis' not_a_server_error);
- a documented response matches its schema and content type (response_schema_conformance,
  content_type_conformance);
- every error (4xx) is JSON with a "detail" message and an "errors" list of {field, message};
- a success for a schema-violating request is allowed (the schema is stricter than the server in places,
  e.g. unknown fields are ignored), but a success must still be JSON when the operation says so.
Examples are derandomized (the same run every time) and bounded for CI: FUZZ_EXAMPLES per operation and
mode (default 10), raise it for a deeper local run: FUZZ_EXAMPLES=100 uv run pytest nervecare/core/tests/test_api_fuzz.py
"""

import os

import pytest
import requests
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from schemathesis.generation.modes import GenerationMode

from nervecare.core.models import User
from nervecare.core.scopes import vocabulary
from nervecare.core.services import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# Successful responses must match their documented schema and content type (FUZZ_CONFORMANCE=0: only 5xx).
CHECKS = [not_a_server_error] + (
    []
    if os.environ.get("FUZZ_CONFORMANCE") == "0"
    else [response_schema_conformance, content_type_conformance]
)


@pytest.fixture
def fuzz_server(live_server, settings):  # noqa: ANN001 - pytest-django's settings fixture
    settings.NERVECARE_API_RATE = "off"  # thousands of requests from one token: not what this test is about
    settings.NERVECARE_API_ANON_RATE = "off"
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - the demo clinic, through the services
    tokens = {
        username: api_token_create(
            user=User.objects.get(username=username), name="fuzz", scopes=sorted(vocabulary())
        )[1]
        for username in ("maria", "owner")
    }
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", timeout=120)
    return live_server.url, schema, tokens


def _error_problems(response: requests.Response) -> str | None:
    """An error must be JSON {"detail": str, "errors": [{"field", "message"}]}."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} is not JSON: {response.text[:200]!r}"
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str) or not body["detail"]:
        return f"{response.status_code} without a detail message: {body!r:.200}"
    errors = body.get("errors", [])
    if not isinstance(errors, list) or any(not {"field", "message"} <= set(e) for e in errors):
        return f"{response.status_code} with malformed errors: {body!r:.200}"
    return None


def _fuzz_operation(base_url: str, session: requests.Session, operation, mode: GenerationMode) -> list[str]:  # noqa: ANN001
    seen: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case) -> None:  # noqa: ANN001
        response = case.call(base_url=base_url, session=session, timeout=60)
        problem = _error_problems(response)
        try:
            case.validate_response(response, checks=CHECKS)
        except AssertionError as exc:
            problem = f"{str(exc)[:400]}"
        if problem and len(seen) < 3:
            seen.append(f"{operation.label} [{mode.value}] {case.method} {case.formatted_path}: {problem}")

    try:
        run()
    except Unsatisfiable:  # no schema-violating request exists for this operation (e.g. no parameters)
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request could be generated"
    return seen


def _fuzz(base_url: str, schema, token: str) -> list[str]:  # noqa: ANN001
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20, "the schema lost its operations"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures.extend(_fuzz_operation(base_url, session, operation, mode))
    return failures


def test_every_api_operation_answers_bad_and_good_input_without_a_server_error(fuzz_server):
    """As a therapist (her own clients) and as the clinic owner (admin)."""
    base_url, schema, tokens = fuzz_server
    failures = []
    for username in ("maria", "owner"):
        failures += [f"{username}: {f}" for f in _fuzz(base_url, schema, tokens[username])]
    assert not failures, "\n".join(failures)
