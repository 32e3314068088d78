"""Bulk Data export: kick-off, polling (202 / 429 / 200 + manifest), NDJSON files, gzip, cancel, scope."""

import datetime
import gzip
import json
from email.utils import parsedate_to_datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nervecare.clients.models import ClientShare
from nervecare.conftest import login
from nervecare.core.models import AuditEvent, StoredFile, User
from nervecare.interop import bulk, selectors
from nervecare.interop.models import ExportJob
from nervecare.interop.tests.conftest import fhir_valid, make_record

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


def kickoff(http, url=f"{BASE}/$export", **extra):
    return http.get(url, **(ASYNC | extra))


def status_path(response):
    assert response.status_code == 202, response.content
    return response["Content-Location"].removeprefix("http://testserver")


def finished_manifest(http, response):
    """Kick-off answered 202; jobs run inline in tests, so the first poll finds the manifest."""
    poll = http.get(status_path(response))
    assert poll.status_code == 200, poll.content
    return poll, poll.json()


def download(http, url, gzip_ok=False):
    extra = {"HTTP_ACCEPT_ENCODING": "gzip, deflate"} if gzip_ok else {}
    response = http.get(url.removeprefix("http://testserver"), **extra)
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if gzip_ok:
        assert response["Content-Encoding"] == "gzip"
        body = gzip.decompress(body)
    else:
        assert not response.has_header("Content-Encoding")
    assert response["Content-Type"] == "application/fhir+ndjson"
    return [json.loads(line) for line in body.decode().splitlines()]


def everything(http, manifest, gzip_ok=False):
    return {o["type"]: download(http, o["url"], gzip_ok) for o in manifest["output"]}


def test_export_lifecycle(record, api, therapist_user):
    response = kickoff(api)
    assert response.status_code == 202
    assert response["Content-Location"].startswith("http://testserver/fhir/R4/bulkstatus/")
    fhir_valid(response.json())

    poll, manifest = finished_manifest(api, response)
    assert poll["Content-Type"] == "application/json"
    expires = parsedate_to_datetime(poll["Expires"])
    assert (
        timezone.now() + datetime.timedelta(hours=23)
        < expires
        <= timezone.now() + datetime.timedelta(hours=24)
    )
    assert set(manifest) == {"transactionTime", "request", "requiresAccessToken", "output", "error"}
    assert manifest["request"] == "http://testserver/fhir/R4/$export"
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    datetime.datetime.fromisoformat(manifest["transactionTime"])
    types = [o["type"] for o in manifest["output"]]
    assert types == list(selectors.RESOURCE_TYPES)  # one file per resource type

    files = everything(api, manifest)
    for output in manifest["output"]:
        lines = files[output["type"]]
        assert len(lines) == output["count"] > 0
        for resource in lines:
            assert resource["resourceType"] == output["type"]
            fhir_valid(resource)
    assert {r["id"] for r in files["Patient"]} == {str(record.client.pk)}
    assert len(files["Observation"]) == 6 + 7 + 4  # screening totals, session ratings, intake ratings
    assert everything(api, manifest, gzip_ok=True) == files
    assert AuditEvent.objects.filter(
        object_type="interop.exportjob", action="view", actor=therapist_user
    ).exists()


def test_export_with_a_bearer_token(record, token):
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    _poll, manifest = finished_manifest(http, kickoff(http))
    assert everything(http, manifest)["Patient"][0]["id"] == str(record.client.pk)


def test_kickoff_needs_respond_async(api):
    response = api.get(f"{BASE}/$export")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "query",
    [
        "_outputFormat=application/fhir+json",
        "_type=Medication",
        "_typeFilter=Patient%3Fname%3Dx",
        "_since=yesterday",
        "_since=2024-01-01T00:00:00",
        "patient=Patient/1",
    ],
)
def test_kickoff_refuses_what_it_cannot_do(api, query):
    response = kickoff(api, f"{BASE}/$export?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["issue"][0]["severity"] == "error"
    assert not ExportJob.objects.exists()


def test_type_and_since(record, api):
    _poll, manifest = finished_manifest(
        api, kickoff(api, f"{BASE}/$export?_type=Patient,Condition&_outputFormat=ndjson")
    )
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Condition"]
    api.delete(status_path(kickoff(api)))  # make room for the next export
    ExportJob.objects.all().delete()

    later = (timezone.now() + datetime.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    _poll, manifest = finished_manifest(
        api, kickoff(api, f"{BASE}/$export?_type=Patient,Condition,Questionnaire&_since={later}")
    )
    assert [o["type"] for o in manifest["output"]] == ["Questionnaire"]  # definitions have no change time


def test_patient_level_export_holds_the_patient_compartment(record, api):
    _poll, manifest = finished_manifest(api, kickoff(api, f"{BASE}/Patient/$export"))

    types = {o["type"] for o in manifest["output"]}
    assert "Patient" in types and "Observation" in types
    assert not types & {"Organization", "Practitioner", "Questionnaire"}
    assert kickoff(api, f"{BASE}/Patient/$export?_type=Organization").status_code == 400


def running_job(user, **fields):
    now = timezone.now()
    values = {
        "clinic_id": user.clinic_id,
        "requested_by": user,
        "level": "system",
        "request_url": "http://testserver/fhir/R4/$export",
        "resource_types": ["Patient", "Observation"],
        "status": "in_progress",
        "started_at": now,
        "heartbeat_at": now,
        "transaction_time": now,
        "progress": {"type": "Observation", "types_done": 1, "types_total": 2, "resources": 4000},
    }
    return ExportJob.objects.create(**(values | fields))


def test_polling_a_running_export(api, therapist_user):
    job = running_job(therapist_user)
    url = f"{BASE}/bulkstatus/{job.pk}"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = api.get(url)
        assert first.status_code == 202
        assert first["X-Progress"] == "1/2 resource types done, writing Observation; 4000 resources"
        assert int(first["Retry-After"]) == bulk.poll_interval()

        too_fast = api.get(url)
        assert too_fast.status_code == 429
        assert int(too_fast["Retry-After"]) >= 1
        assert too_fast.json()["issue"][0]["code"] == "throttled"

        clock.shift(bulk.poll_interval())
        assert api.get(url).status_code == 202


def test_a_second_export_while_one_runs_is_429(api, therapist_user, admin_user):
    job = running_job(admin_user)

    response = kickoff(api)

    assert response.status_code == 429
    assert response["Retry-After"]
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not response.has_header("Content-Location")  # someone else's export
    mine = kickoff(login(admin_user))
    assert mine.status_code == 429 and mine["Content-Location"].endswith(str(job.pk))
    assert ExportJob.objects.count() == 1


def test_a_dead_export_does_not_block_the_clinic(record, api, therapist_user):
    running_job(therapist_user, heartbeat_at=timezone.now() - datetime.timedelta(hours=2))

    assert kickoff(api).status_code == 202
    assert ExportJob.objects.filter(status="failed").count() == 1


def _stored(job):
    """Whether any of the export's files is in the exports storage (the database by default)."""
    return StoredFile.objects.filter(name__startswith=f"{job.pk}/").exists()


def test_delete_cancels_and_removes_the_files(record, api):
    url = status_path(kickoff(api))
    manifest = api.get(url).json()
    job = ExportJob.objects.get()
    assert _stored(job)

    response = api.delete(url)

    assert response.status_code == 202
    assert not _stored(job)
    assert api.get(url).status_code == 404
    assert api.get(manifest["output"][0]["url"].removeprefix("http://testserver")).status_code == 404
    assert kickoff(api).status_code == 202  # the clinic may export again


def test_cancelling_a_running_export(api, therapist_user):
    job = running_job(therapist_user)

    assert api.delete(f"{BASE}/bulkstatus/{job.pk}").status_code == 202

    job.refresh_from_db()
    assert job.status == "cancelled"
    assert api.get(f"{BASE}/bulkstatus/{job.pk}").status_code == 404


def test_the_job_notices_a_cancellation_between_chunks(record, therapist_user, monkeypatch):
    job = ExportJob.objects.create(
        clinic_id=therapist_user.clinic_id,
        requested_by=therapist_user,
        level="system",
        request_url="x",
        resource_types=["Observation", "Patient"],
    )
    monkeypatch.setattr(bulk, "CHUNK", 2)
    source = selectors.RESOURCE_TYPES["Observation"].sources[0]
    original = type(source).to_fhir

    def cancel_midway(self, obj, scope):
        ExportJob.objects.filter(pk=job.pk).update(status="cancelled")
        return original(self, obj, scope)

    monkeypatch.setattr(type(source), "to_fhir", cancel_midway)
    bulk.export_run(str(job.pk))

    job.refresh_from_db()
    assert job.status == "cancelled" and job.output == []
    assert not _stored(job)


def test_a_failed_export_is_reported(record, api, therapist_user):
    job = ExportJob.objects.create(
        clinic_id=therapist_user.clinic_id,
        requested_by=therapist_user,
        level="system",
        request_url="x",
        resource_types=["Patient"],
    )
    User.objects.filter(pk=therapist_user.pk).update(role="front_desk")  # lost clinical access meanwhile
    bulk.export_run(str(job.pk))
    User.objects.filter(pk=therapist_user.pk).update(role="therapist")

    response = api.get(f"{BASE}/bulkstatus/{job.pk}")

    assert response.status_code == 500
    assert response.json()["issue"][0]["severity"] == "error"
    assert "may no longer read clinical data" in response.json()["issue"][0]["diagnostics"]


def test_a_row_that_cannot_be_mapped_goes_to_the_error_file(record, api, monkeypatch):
    source = selectors.RESOURCE_TYPES["Flag"].sources[0]

    def broken(self, obj, scope):
        raise ValueError("broken row")

    monkeypatch.setattr(type(source), "to_fhir", broken)
    _poll, manifest = finished_manifest(api, kickoff(api))

    assert "Flag" not in {o["type"] for o in manifest["output"]}
    assert manifest["error"][0]["type"] == "OperationOutcome"
    errors = download(api, manifest["error"][0]["url"])
    assert len(errors) == manifest["error"][0]["count"] == len(record.flags)
    for outcome in errors:
        fhir_valid(outcome)
        assert "broken row" in outcome["issue"][0]["diagnostics"]


def test_only_the_requester_may_poll_or_download(record, api, admin_user, other_clinic_user):
    response = kickoff(api)
    url = status_path(response)
    _poll, manifest = finished_manifest(api, response)
    file_url = manifest["output"][0]["url"].removeprefix("http://testserver")
    for http in (login(admin_user), login(other_clinic_user)):
        assert http.get(url).status_code == 404
        assert http.get(file_url).status_code == 404
        assert http.delete(url).status_code == 404
    anonymous = HttpClient()
    assert anonymous.get(url).status_code == 401
    assert anonymous.get(file_url).status_code == 401
    assert api.get(file_url.rsplit("/", 1)[0] + "/Secret.ndjson").status_code == 404
    assert api.get(file_url.rsplit("/", 1)[0] + "/..%2F..%2Fnervecare.sqlite3").status_code == 404


def test_front_desk_cannot_export(front_desk_user):
    response = kickoff(login(front_desk_user))
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_exports_hold_only_what_the_caller_may_see(
    record, junior_therapist_user, admin_user, other_clinic_user
):
    make_record(other_clinic_user, first="Otto", last="Elsewhere")
    bob = login(junior_therapist_user)
    _poll, manifest = finished_manifest(bob, kickoff(bob))
    assert "Patient" not in everything(bob, manifest)  # Alice's client is not Bob's
    ExportJob.objects.all().delete()
    # Shared with Bob: the record is in his export, Alice's session notes still are not.
    ClientShare.objects.create(client=record.client, therapist=junior_therapist_user.therapist)
    _poll, manifest = finished_manifest(bob, kickoff(bob))
    files = everything(bob, manifest)
    assert [p["id"] for p in files["Patient"]] == [str(record.client.pk)]  # not the other clinic's client
    assert "Procedure" not in files  # Alice's session note
    assert not [o for o in files["Observation"] if o["id"].startswith("note-")]
    for resources in files.values():
        for resource in resources:
            assert (
                resource.get("subject", {}).get("reference", f"Patient/{record.client.pk}")
                == f"Patient/{record.client.pk}"
            )

    ExportJob.objects.all().delete()
    ada = login(admin_user)
    _poll, manifest = finished_manifest(ada, kickoff(ada))
    assert {o["type"]: o["count"] for o in manifest["output"]}["Procedure"] == 1


def test_expired_exports_are_gone(record, token):
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")  # a session would have expired too
    response = kickoff(api)
    url = status_path(response)
    _poll, manifest = finished_manifest(api, response)
    job = ExportJob.objects.get()

    with time_machine.travel(timezone.now() + bulk.ttl() + datetime.timedelta(minutes=1)):
        assert api.get(manifest["output"][0]["url"].removeprefix("http://testserver")).status_code == 404
        assert api.get(url).status_code == 404
        assert not _stored(job)
        assert bulk.export_purge_expired() == 0


def test_purge_removes_expired_files(record, api):
    finished_manifest(api, kickoff(api))
    job = ExportJob.objects.get()
    assert bulk.export_purge_expired() == 0
    with time_machine.travel(timezone.now() + bulk.ttl() + datetime.timedelta(minutes=1)):
        assert bulk.export_purge_expired() == 1
    assert not _stored(job)


def test_the_demo_clinic_exports_ndjson_that_validates(django_user_model):
    call_command("demo", stdout=StringIO())
    owner = django_user_model.objects.get(username="owner")
    http = login(owner)

    _poll, manifest = finished_manifest(http, kickoff(http))

    files = everything(http, manifest, gzip_ok=True)
    assert set(files) == set(selectors.RESOURCE_TYPES)
    assert len(files["Patient"]) >= 25
    for resources in files.values():
        for resource in resources:
            fhir_valid(resource)


def count_export_queries(user):
    job = ExportJob.objects.create(
        clinic_id=user.clinic_id,
        requested_by=user,
        level="system",
        request_url="x",
        resource_types=list(selectors.RESOURCE_TYPES),
    )
    with CaptureQueriesContext(connection) as queries:
        bulk.export_run(str(job.pk))
    job.refresh_from_db()
    assert job.status == "completed"
    job.delete()
    # Questionnaire resources are the instruments' definitions (shipped with NerveCare), not the clinic's records.
    records = sum(o["count"] for o in job.output if o["type"] != "Questionnaire")
    return len(queries.captured_queries), records


def test_export_queries_do_not_grow_with_the_clinic(record, admin_user, therapist_user):
    small, resources_small = count_export_queries(admin_user)
    for i in range(3):
        make_record(therapist_user, first=f"More{i}", hours_earlier=3 * (i + 1))

    large, resources_large = count_export_queries(admin_user)

    assert resources_large > 3 * resources_small
    assert large == small  # streamed in chunks: no query per row


def test_export_queries_walk_the_key_order_without_sorting(record, admin_user):
    """Each chunk must cost the chunk, not the clinic: no query may gather and sort the clinic's rows."""
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plans")
    scope = selectors.scope_for(admin_user)
    for name, rtype in selectors.RESOURCE_TYPES.items():
        for source in rtype.sources:
            if name == "Questionnaire":
                continue
            sql, params = (
                source.queryset(scope).filter(pk__gt=1).order_by("pk")[:2000].query.sql_with_params()
            )
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = " / ".join(row[3] for row in cursor.fetchall())
            assert "TEMP B-TREE" not in plan, (name, plan)


def test_lenient_kickoff_drops_what_it_cannot_do(record, api):
    lenient = {"HTTP_PREFER": "respond-async, handling=lenient"}
    response = kickoff(
        api, f"{BASE}/$export?_type=Medication,Patient&_typeFilter=Patient%3Fname%3Dx", **lenient
    )

    _poll, manifest = finished_manifest(api, response)
    assert [o["type"] for o in manifest["output"]] == ["Patient"]
    ExportJob.objects.all().delete()
    assert kickoff(api, f"{BASE}/$export?_type=Medication", **lenient).status_code == 400
