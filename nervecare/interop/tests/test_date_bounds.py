"""Issue 14, finding 4, on the FHIR side: a search or $export date outside core.bounds.SEARCH answers 400 with
an OperationOutcome naming the parameter (as every bad FHIR search parameter does), an Observation value of
1e999 answers 422, nothing is stored, and later searches and exports still work."""

import json

import pytest

from nervecare.clients.models import Client
from nervecare.interop.models import ExportJob
from nervecare.interop.tests.conftest import fhir_valid
from nervecare.interop.tests.test_import import pain, referral

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


def refused(response, status: int, parameter: str) -> None:
    assert response.status_code == status, response.content
    outcome = response.json()
    fhir_valid(outcome)
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["severity"] == "error" and parameter in issue["diagnostics"]
    assert issue["diagnostics"].count(f"{parameter}:") <= 1  # the parameter is named once, not once per layer


@pytest.mark.parametrize(
    "since", ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:00:00-14:00", "1899-12-31T00:00:00Z"]
)
def test_export_since_out_of_range_is_refused_and_later_exports_work(record, api, since):
    refused(api.get(f"{BASE}/$export?_since={since}", **ASYNC), 400, "_since")
    assert not ExportJob.objects.exists()
    ok = api.get(f"{BASE}/$export?_since=2020-01-01T00:00:00Z", **ASYNC)
    assert ok.status_code == 202, ok.content
    poll = api.get(ok["Content-Location"].removeprefix("http://testserver"))
    assert poll.status_code == 200, poll.content


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("Patient?birthdate=9999", "birthdate"),
        ("Patient?birthdate=gt9999-12-31", "birthdate"),
        ("Patient?birthdate=0001-01-01", "birthdate"),
        ("Observation?date=9999-12", "date"),
        ("Observation?date=lt0001-01-01T00:00:00%2B14:00", "date"),
        ("Encounter?date=9999-12-31", "date"),
    ],
)
def test_fhir_date_search_out_of_range_is_400(record, api, query, parameter):
    refused(api.get(f"{BASE}/{query}"), 400, parameter)
    ok = api.get(f"{BASE}/Patient?birthdate=ge1900")
    assert ok.status_code == 200 and ok.json()["entry"]


@pytest.mark.parametrize("value", ["1e999", "-1e999", "NaN", "Infinity"])
def test_an_observation_value_that_is_not_a_finite_number_is_refused(api, value):
    body = json.dumps(referral(pain())).replace('"value": 7', f'"value": {value}')
    assert value in body
    response = api.post(f"{BASE}/", body, content_type="application/fhir+json")
    refused(response, 422, "valueQuantity.value")
    assert not Client.objects.exists()
