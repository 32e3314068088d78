"""Documents (issue 16 §6): type from the content, size bounded, who may see them, every open audited, safe
headers, and in the client's right-of-access export."""

import base64
import json

import pytest

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.ops.models import ClientDocument

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def client_of_alice(clinic, therapist_user):
    return ClientFactory(
        clinic=clinic, primary_therapist=therapist_user.therapist, first_name="Ada", last_name="Quill"
    )


def _post(api, client, **body):
    data = {
        "kind": "letter",
        "title": "Letter from Dr Rao",
        "content_base64": base64.b64encode(PDF).decode(),
    } | body
    return api.post(
        f"/api/v1/clients/{client.pk}/documents", json.dumps(data), content_type="application/json"
    )


def test_a_pdf_is_attached_listed_and_downloaded_with_safe_headers(api, client_of_alice):
    created = _post(api, client_of_alice, filename="letter.exe")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert [d["title"] for d in api.get(f"/api/v1/clients/{client_of_alice.pk}/documents").json()] == [
        "Letter from Dr Rao"
    ]
    response = api.get(f"/api/v1/clients/{client_of_alice.pk}/documents/{body['id']}")
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Disposition"] == 'attachment; filename="Letter-from-Dr-Rao.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(object_type="ops.clientdocument", summary="Document opened").count() == 1


def test_the_type_comes_from_the_content_not_the_name(api, client_of_alice):
    fake = _post(
        api, client_of_alice, filename="scan.pdf", content_base64=base64.b64encode(b"<html><script>").decode()
    )
    assert fake.status_code == 422
    assert fake.json()["errors"][0]["field"] == "file"
    png = _post(api, client_of_alice, filename="scan.pdf", content_base64=base64.b64encode(PNG).decode())
    assert png.json()["content_type"] == "image/png"
    assert (
        _post(api, client_of_alice, content_base64="not base64!").json()["errors"][0]["field"]
        == "content_base64"
    )


def test_size_limit(api, client_of_alice, settings):
    settings.NERVECARE_DOCUMENT_MAX_BYTES = 20
    response = _post(api, client_of_alice)
    assert response.status_code == 422 and "larger than" in response.json()["errors"][0]["message"]
    assert not ClientDocument.objects.exists()


def test_only_who_sees_the_record_sees_its_documents(
    client_of_alice, junior_therapist_user, front_desk_user, api
):
    doc_id = _post(api, client_of_alice).json()["id"]
    for user in (junior_therapist_user, front_desk_user):
        http = login(user)
        assert http.get(f"/api/v1/clients/{client_of_alice.pk}/documents/{doc_id}").status_code in (403, 404)
        assert http.get(f"/clients/{client_of_alice.pk}/documents/{doc_id}/").status_code in (403, 404)


def test_the_page_uploads_and_the_export_includes_the_document(api, client_of_alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = api.get(f"/clients/{client_of_alice.pk}/documents/")
    assert page.status_code == 200
    bad = api.post(
        f"/clients/{client_of_alice.pk}/documents/",
        {"kind": "clearance", "title": "Clearance", "file": SimpleUploadedFile("x.png", b"GIF89a....")},
    )
    assert bad.status_code == 422 and "Only PDF, PNG, JPEG or WebP" in bad.content.decode()
    ok = api.post(
        f"/clients/{client_of_alice.pk}/documents/",
        {"kind": "clearance", "title": "Clearance", "file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert ok.status_code == 302
    export = api.get(f"/api/v1/clients/{client_of_alice.pk}/export").json()
    assert base64.b64decode(export["documents"][0]["content_base64"]) == PDF
    assert export["documents"][0]["kind"] == "clearance"
    assert "Clearance" in api.get(f"/clients/{client_of_alice.pk}/").content.decode()
