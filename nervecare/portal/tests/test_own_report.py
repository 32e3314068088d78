"""The client's own progress report (PDF): only ever their own, audited; staff use their own pages."""

import pytest

from nervecare.conftest import login
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_own_report_pdf_is_only_ever_the_clients_own(carla, dan, therapist_user, client):
    http = login(carla[0])
    assert 'href="/portal/progress/report.pdf"' in http.get("/portal/progress/").content.decode()
    response = http.get("/portal/progress/report.pdf", {"client": dan[1].id, "client_id": dan[1].id})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"Carla Client" in response.content
    assert b"Dan Client" not in response.content
    assert AuditEvent.objects.filter(actor=carla[0], summary="Own progress report downloaded").exists()
    # The staff report of another client is not reachable for a client, and staff use their own pages.
    assert http.get(f"/outcomes/clients/{dan[1].id}/report.pdf").status_code in (403, 404)
    assert login(therapist_user).get("/portal/progress/report.pdf").status_code == 403
    assert client.get("/portal/progress/report.pdf").status_code == 302
