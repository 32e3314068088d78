"""Bulk-export files live in the database (the "exports" storage), so any instance serves them; the 404s
say truthfully why a file cannot be had (issue 22 point 8)."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from nervecare.core import filestore
from nervecare.core.models import StoredFile, StoredFileChunk
from nervecare.core.services import api_token_create
from nervecare.interop import bulk
from nervecare.interop.models import ExportJob
from nervecare.interop.tests.test_bulk import download, finished_manifest, kickoff, status_path

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[3]


def _diagnostics(response):
    return " ".join(i.get("diagnostics", "") for i in response.json()["issue"])


def test_the_files_are_in_the_database_not_on_disk(record, api, tmp_path):
    _poll, manifest = finished_manifest(api, kickoff(api))
    job = ExportJob.objects.get()

    names = set(StoredFile.objects.values_list("name", flat=True))
    assert names == {f"{job.pk}/{o['type']}.ndjson.gz" for o in manifest["output"]}
    assert not (Path(settings.DATA_DIR) / "exports").exists()  # nothing written to this machine's disk
    assert download(api, manifest["output"][0]["url"])  # and it downloads


def test_a_large_file_streams_back_chunk_by_chunk(monkeypatch):
    monkeypatch.setattr(filestore, "CHUNK_SIZE", 1000)
    storage = filestore.DatabaseStorage()
    data = os.urandom(4500)

    storage.save("x/big.bin", ContentFile(data))

    assert StoredFileChunk.objects.filter(file__name="x/big.bin").count() == 5
    assert storage.size("x/big.bin") == 4500
    with storage.open("x/big.bin") as fh:
        assert fh.read(10) == data[:10]
        assert fh.read() == data[10:]
    assert storage.listdir("x") == ([], ["big.bin"])
    storage.save("x/big.bin", ContentFile(b"again"))  # a save replaces, whole
    assert storage.open("x/big.bin").read() == b"again"
    filestore.delete_folder(storage, "x")
    assert not storage.exists("x/big.bin") and StoredFileChunk.objects.count() == 0
    with pytest.raises(FileNotFoundError):
        storage.open("x/big.bin")


def test_the_filesystem_backend_is_still_a_choice(record, api, tmp_path, settings):
    settings.STORAGES = settings.STORAGES | {
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "exports")},
        }
    }
    # (changing STORAGES resets Django's storage handler: django.test.signals.storages_changed)
    response = kickoff(api)
    _poll, manifest = finished_manifest(api, response)
    job = ExportJob.objects.get()
    assert (tmp_path / "exports" / str(job.pk)).is_dir()
    assert download(api, manifest["output"][0]["url"], gzip_ok=True)
    assert api.delete(status_path(response)).status_code == 202
    assert not (tmp_path / "exports" / str(job.pk)).exists()
    assert not StoredFile.objects.exists()


def test_each_404_says_why(record, token):
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")  # a session would expire with the travel below
    response = kickoff(api)
    url = status_path(response)
    _poll, manifest = finished_manifest(api, response)
    file_url = manifest["output"][0]["url"].removeprefix("http://testserver")
    job = ExportJob.objects.get()

    # A file the export lists but this server's storage lacks: not "gone", "not found here".
    StoredFile.objects.filter(name__startswith=f"{job.pk}/").delete()
    missing = api.get(file_url)
    assert missing.status_code == 404
    assert "not found in this server's export storage" in _diagnostics(missing)
    assert "gone" not in _diagnostics(missing)

    with time_machine.travel(timezone.now() + bulk.ttl() + datetime.timedelta(minutes=1)):
        expired = api.get(file_url)
        assert expired.status_code == 404 and "has expired" in _diagnostics(expired)

    assert api.delete(url).status_code == 202
    deleted = api.get(file_url)
    assert deleted.status_code == 404 and "cancelled or deleted" in _diagnostics(deleted)

    unknown = api.get(f"/fhir/R4/bulkstatus/{'0' * 8}-0000-4000-8000-{'0' * 12}")
    assert unknown.status_code == 404 and "No such export" in _diagnostics(unknown)


_OTHER_PROCESS = """
import gzip, json, sys
import django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()  # ALLOWED_HOSTS gains "testserver", as in the test process
job_url, token = sys.argv[1], sys.argv[2]
r = Client(HTTP_AUTHORIZATION="Bearer " + token).get(job_url, HTTP_ACCEPT_ENCODING="gzip")
body = b"".join(r.streaming_content) if r.streaming else r.content
print(json.dumps({"status": r.status_code, "lines": len(gzip.decompress(body).splitlines())}))
"""


@pytest.mark.django_db(transaction=True)
def test_an_export_written_by_one_process_downloads_in_another(therapist_user, tmp_path):
    """The job runs here; a separate Python process with the same database and its own (empty) data
    directory, as another machine would be, serves the download."""
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs a database it can open: run with DATABASE_URL (PostgreSQL)")
    from nervecare.interop.tests.conftest import make_record

    make_record(therapist_user)
    _token, plain = api_token_create(user=therapist_user, name="ehr", scopes=["fhir:read"])
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    _poll, manifest = finished_manifest(api, kickoff(api))
    first = manifest["output"][0]
    url = first["url"].removeprefix("http://testserver")

    db = settings.DATABASES["default"]
    other_dir = tmp_path / "other-machine"
    other_dir.mkdir()
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "nervecare.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "NERVECARE_DATA_DIR": str(other_dir),
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", _OTHER_PROCESS, url, plain],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"status": 200, "lines": first["count"]}
    assert not any(other_dir.rglob("*.ndjson*"))
