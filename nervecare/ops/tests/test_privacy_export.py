# ruff: noqa: F811 - the shared fixtures are imported from privacy_helpers and used as arguments
"""Right of access: everything held about a client as JSON and as a readable PDF, for admins, the client's
therapist and the client themself; audited."""

import base64
import json
import re
import zlib

import pytest

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent, User
from nervecare.ops import export
from nervecare.ops.tests.privacy_helpers import admin_user, full_client, other_admin  # noqa: F401

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF: its content streams, decoded (reportlab writes them ASCII85 + Flate)."""
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        chunk = match.group(1).strip()
        try:
            if chunk.endswith(b"~>"):
                chunk = base64.a85decode(chunk[:-2].replace(b"\n", b""))
            out.append(zlib.decompress(chunk).decode("latin-1"))
        except (ValueError, zlib.error):
            continue  # an image or a font, not text
    return "\n".join(out)


@pytest.fixture
def rosa(clinic, therapist_user):
    return full_client(clinic, therapist_user)


def test_the_json_export_holds_every_part_of_the_record(rosa):
    doc = export.client_export(rosa)
    assert (
        doc["schema"] == "nervecare-client-export" and doc["schema_version"] == export.EXPORT_SCHEMA_VERSION
    )
    assert doc["generated_at"]
    assert doc["client"]["first_name"] == "Rosa" and doc["client"]["email"] == "rosa@example.org"
    assert "deleted_at" not in doc["client"]
    assert doc["conditions"][0]["diagnosis"] == "Diabetic polyneuropathy"
    assert doc["medical_context"]["on_anticoagulants"] is True
    assert doc["medical_context"]["notes"] == "Warfarin since 2024"
    assert doc["consents"][0]["text_version"] == "1.0" and "consent" in doc["consents"][0]["text"]
    assert doc["body_maps"][0]["marks"][0] == {
        "id": doc["body_maps"][0]["marks"][0]["id"],
        "region": "foot",
        "side": "left",
        "sensation": "burning",
        "intensity": 6,
        "side_label": "Left",
    }
    screening = doc["screenings"][0]
    assert screening["instrument"] == "mnsi_history" and screening["answers"]["7"] == "yes"
    assert screening["total"] is not None and screening["item_scores"]
    assert any(f["level"] == "modify" for f in doc["safety_flags"])
    assert len(doc["appointments"]) == 2
    (note,) = doc["session_notes"]
    assert note["subjective"] == "Feet burn at night."
    assert note["amendments"][0]["text"] == "Left foot worse."
    assert note["adverse_events"][0]["description"] == "Small bruise on the left shin."
    assert doc["diary_entries"][0]["pain"] == 4
    assert doc["portal_account"]["username"] == "rosa"
    assert isinstance(doc["outcome_summary"]["summary"], list)
    assert {"record": "client", "change": "created"}.items() <= doc["change_history"][-1].items()
    # Only Alice has touched the record so far (her screening and safety check).
    assert {(e["by"], e["role"]) for e in doc["access_log"]} == {("alice", "therapist")}
    json.dumps(doc)  # plain JSON all the way down


def test_admin_downloads_json_and_pdf_and_each_download_is_audited(rosa, admin_user):
    http = login(admin_user)
    response = http.get(f"/api/v1/clients/{rosa.id}/export?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert response.json()["client"]["last_name"] == "Marquez"

    pdf = http.get(f"/api/v1/clients/{rosa.id}/export?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    for expected in (
        "Rosa Marquez",
        "Neuropathies",
        "Diabetic polyneuropathy",
        "Small bruise",
        "Left foot worse",
    ):
        assert expected in text, expected

    # The second download lists the first in the client's access log.
    assert any(
        e["summary"] == "Right-of-access export (json)"
        for e in http.get(f"/api/v1/clients/{rosa.id}/export").json()["access_log"]
    )
    events = AuditEvent.objects.filter(object_type="clients.client", object_id=str(rosa.id), actor=admin_user)
    assert sorted(events.filter(summary__startswith="Right-of-access").values_list("summary", flat=True)) == [
        "Right-of-access export (json)",
        "Right-of-access export (json)",
        "Right-of-access export (pdf)",
    ]


def test_bad_format_is_a_field_error(rosa, admin_user):
    response = login(admin_user).get(f"/api/v1/clients/{rosa.id}/export?format=docx")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "format"


def test_the_clients_therapist_may_export_from_the_chart(rosa, therapist_user):
    http = login(therapist_user)
    chart = http.get(f"/clients/{rosa.id}/").content.decode()
    assert f"/clients/{rosa.id}/export/?format=pdf" in chart
    response = http.get(f"/clients/{rosa.id}/export/?format=json")
    assert response.status_code == 200
    assert json.loads(response.content)["client"]["id"] == rosa.id


def test_another_therapist_and_the_front_desk_may_not(rosa, junior_therapist_user, front_desk_user):
    # a therapist who does not see the client gets 404 (as for a client that does not exist); front desk 403
    assert login(junior_therapist_user).get(f"/api/v1/clients/{rosa.id}/export").status_code == 404
    assert login(front_desk_user).get(f"/api/v1/clients/{rosa.id}/export").status_code == 403
    assert not AuditEvent.objects.filter(summary__startswith="Right-of-access").exists()


def test_another_clinic_gets_404(rosa, other_admin):
    assert login(other_admin).get(f"/api/v1/clients/{rosa.id}/export").status_code == 404


def test_the_client_downloads_their_own_data_from_the_portal(rosa):
    portal_user = User.objects.get(username="rosa")
    http = login(portal_user)
    home = http.get("/portal/").content.decode()
    assert "/portal/my-data/?format=pdf" in home
    response = http.get("/portal/my-data/?format=json")
    assert response.status_code == 200
    assert json.loads(response.content)["client"]["id"] == rosa.id
    assert http.get("/portal/my-data/?format=pdf")["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(actor=portal_user, summary="Right-of-access export (json)").exists()
    # A client reaches their record through the portal only: the staff routes refuse them (their own too).
    other = ClientFactory(clinic=rosa.clinic, first_name="Someone", last_name="Else")
    for client_id in (other.id, rosa.id):
        assert http.get(f"/api/v1/clients/{client_id}/export").status_code == 403
        response = http.get(f"/clients/{client_id}/export/")
        assert response.status_code == 403
        assert b"Someone" not in response.content
