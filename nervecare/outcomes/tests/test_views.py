"""Outcome pages, CSV and PDF: happy path, wrong role, another clinic, bad input, HTMX partial vs full page,
audit trail, and the background clinic report."""

import base64
import csv
import io
import re
import zlib

import pytest
from django.urls import reverse

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.outcomes import exports
from nervecare.outcomes.models import ReevaluationDecision, ReportJob
from nervecare.outcomes.tests.conftest import csv_body

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


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


# --- The client's page ---------------------------------------------------------------------------------------


def test_client_page_shows_charts_numbers_caveat_and_suggestions(rosa, therapist_user):
    r = login(therapist_user).get(reverse("outcomes:client", args=[rosa.id]))
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("<svg") >= 3 and 'role="img"' in html and "<title>" in html
    assert "cdn" not in html.lower()
    assert "Clinically important improvement" in html
    assert "Observational data, no control group." in html
    assert "Week 4" in html and "Accept or overrule" in html
    assert "Immediate effect" in html and "Lasting effect" in html
    assert AuditEvent.objects.filter(
        action="view", object_id=str(rosa.id), summary="Outcomes viewed"
    ).exists()


def test_client_page_for_a_client_without_any_data(clinic, therapist_user):
    client = ClientFactory(clinic=clinic)
    r = login(therapist_user).get(reverse("outcomes:client", args=[client.id]))
    assert r.status_code == 200
    assert "No sessions yet" in r.content.decode()


@pytest.mark.parametrize("name", ["client", "client_csv", "client_pdf"])
def test_client_views_refuse_the_front_desk_and_the_client_role(rosa, front_desk_user, client_user, name):
    assert login(front_desk_user).get(reverse(f"outcomes:{name}", args=[rosa.id])).status_code == 403
    assert login(client_user).get(reverse(f"outcomes:{name}", args=[rosa.id])).status_code == 403


@pytest.mark.parametrize("name", ["client", "client_csv", "client_pdf"])
def test_another_clinics_client_is_not_found(rosa, other_clinic_user, name):
    assert login(other_clinic_user).get(reverse(f"outcomes:{name}", args=[rosa.id])).status_code == 404


def test_login_is_required(rosa, client):
    r = client.get(reverse("outcomes:client", args=[rosa.id]))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert client.get(reverse("outcomes:clinic")).status_code == 302


def test_client_csv_has_the_documented_columns_and_numbers(rosa, therapist_user):
    r = login(therapist_user).get(reverse("outcomes:client_csv", args=[rosa.id]))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_body(r.content.decode()))))
    assert list(rows[0].keys()) == exports.CLIENT_COLUMNS
    summary = next(x for x in rows if x["section"] == "summary" and x["measure"] == "pain")
    assert summary["baseline"] == "6.0" and summary["status"] == "responder"
    assert float(summary["change_points"]) == pytest.approx(10 / 3 - 6, abs=1e-4)
    assert {x["section"] for x in rows} >= {
        "rating",
        "weekly",
        "summary",
        "trend",
        "session",
        "immediate",
        "soreness",
    }


def test_client_pdf_is_a_pdf_with_the_clients_name(rosa, therapist_user):
    for audience in ("client", "clinician"):
        r = login(therapist_user).get(
            reverse("outcomes:client_pdf", args=[rosa.id]) + f"?audience={audience}"
        )
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        text = pdf_text(r.content)
        assert "Progress report: Rosa Mar" in text  # DejaVu keeps ASCII readable; "í" is a subset glyph
        assert ("Methods" in text) == (audience == "clinician")
    assert AuditEvent.objects.filter(summary__startswith="Progress report (PDF").count() == 2


# --- Decisions at re-evaluation points -------------------------------------------------------------------


def test_accept_the_suggestion(rosa, therapist_user):
    plan = rosa.plans.get()
    r = login(therapist_user).post(
        reverse("outcomes:client_decide", args=[rosa.id]),
        {"plan_id": plan.id, "week": 4, "decision": "accepted"},
    )
    assert r.status_code == 302
    decision = ReevaluationDecision.objects.get()
    assert (decision.suggested, decision.action, decision.decided_by) == (
        "continue",
        "continue",
        therapist_user,
    )
    page = login(therapist_user).get(reverse("outcomes:client", args=[rosa.id])).content.decode()
    assert "Therapist&#x27;s decision" in page or "Therapist's decision" in page
    assert AuditEvent.objects.filter(action="create", object_type="outcomes.reevaluationdecision").exists()


def test_overruling_needs_another_action_and_a_reason(rosa, therapist_user):
    plan = rosa.plans.get()
    url = reverse("outcomes:client_decide", args=[rosa.id])
    http = login(therapist_user)
    r = http.post(
        url, {"plan_id": plan.id, "week": 4, "decision": "overruled", "action": "continue", "reason": ""}
    )
    assert r.status_code == 422
    body = r.content.decode()
    assert "say why the suggestion is overruled" in body and "different action" in body
    assert not ReevaluationDecision.objects.exists()
    r = http.post(
        url,
        {
            "plan_id": plan.id,
            "week": 4,
            "decision": "overruled",
            "action": "refer",
            "reason": "New numb patch.",
        },
    )
    assert r.status_code == 302
    assert ReevaluationDecision.objects.get().action == "refer"


def test_a_point_not_reached_cannot_be_decided(rosa, therapist_user):
    plan = rosa.plans.get()
    r = login(therapist_user).post(
        reverse("outcomes:client_decide", args=[rosa.id]),
        {"plan_id": plan.id, "week": 12, "decision": "accepted"},
    )
    assert r.status_code == 422 and "not been reached" in r.content.decode()


def test_deciding_is_refused_to_the_front_desk(rosa, front_desk_user):
    r = login(front_desk_user).post(
        reverse("outcomes:client_decide", args=[rosa.id]), {"decision": "accepted"}
    )
    assert r.status_code == 403


# --- The clinic page --------------------------------------------------------------------------------------


def test_clinic_page_states_the_caveat_and_the_numbers_it_rests_on(rosa, therapist_user):
    r = login(therapist_user).get(reverse("outcomes:clinic"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Observational data, no control group." in html
    assert "1 clients in this selection" in html
    assert "<svg" in html and "Wilson" in html
    assert "<html" in html  # the full page


def test_clinic_page_htmx_gets_the_results_only(rosa, therapist_user):
    r = login(therapist_user).get(reverse("outcomes:clinic") + "?measure=pain&type=peripheral", **HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" not in html and "Observational data" in html


def test_clinic_page_bad_filter_falls_back_to_everything(rosa, therapist_user):
    r = login(therapist_user).get(reverse("outcomes:clinic") + "?measure=nonsense&therapist=abc")
    assert r.status_code == 200
    assert "1 clients in this selection" in r.content.decode()


def test_clinic_views_refuse_the_front_desk(front_desk_user):
    http = login(front_desk_user)
    assert http.get(reverse("outcomes:clinic")).status_code == 403
    assert http.get(reverse("outcomes:clinic_csv")).status_code == 403
    assert http.post(reverse("outcomes:report_start")).status_code == 403


def test_clinic_csv_groups_and_clients(rosa, therapist_user):
    http = login(therapist_user)
    groups = list(
        csv.DictReader(io.StringIO(csv_body(http.get(reverse("outcomes:clinic_csv")).content.decode())))
    )
    assert list(groups[0].keys()) == exports.CLINIC_COLUMNS
    assert groups[0]["dimension"] == "all" and groups[0]["responders"] == "1"
    assert {g["dimension"] for g in groups} == {"all", "type", "cause", "modality", "therapist", "sessions"}
    clients = list(
        csv.DictReader(
            io.StringIO(
                csv_body(http.get(reverse("outcomes:clinic_csv") + "?level=clients").content.decode())
            )
        )
    )
    assert list(clients[0].keys()) == exports.CLINIC_CLIENT_COLUMNS
    assert clients[0]["client_id"] == str(rosa.id) and "Rosa" not in str(clients)


def test_clinic_report_is_built_in_the_background_with_progress(
    rosa, therapist_user, django_capture_on_commit_callbacks
):
    http = login(therapist_user)
    with django_capture_on_commit_callbacks(execute=True):
        r = http.post(reverse("outcomes:report_start"), {"measure": "pain"})
    job = ReportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("outcomes:report_job", args=[job.id])
    assert job.status == "done" and job.progress == 100 and job.params == {"measure": "pain"}
    page = http.get(reverse("outcomes:report_job", args=[job.id]))
    assert "Download the PDF" in page.content.decode()
    partial = http.get(reverse("outcomes:report_job", args=[job.id]), **HTMX).content.decode()
    assert "<html" not in partial and 'role="status"' in partial
    pdf = http.get(reverse("outcomes:report_download", args=[job.id]))
    assert pdf.content.startswith(b"%PDF") and "Outcome report: Riverside" in pdf_text(pdf.content)


def test_a_running_report_polls_and_a_failed_one_says_why(clinic, therapist_user):
    job = ReportJob.objects.create(clinic=clinic, requested_by=therapist_user, status="running", progress=40)
    html = login(therapist_user).get(reverse("outcomes:report_job", args=[job.id])).content.decode()
    assert 'hx-trigger="every 2s"' in html and 'value="40"' in html
    assert login(therapist_user).get(reverse("outcomes:report_download", args=[job.id])).status_code == 302
    job.status, job.error = "failed", "ValueError: boom"
    job.save()
    assert "boom" in login(therapist_user).get(reverse("outcomes:report_job", args=[job.id])).content.decode()


def test_another_clinics_report_is_not_found(clinic, therapist_user, other_clinic_user):
    job = ReportJob.objects.create(clinic=clinic, requested_by=therapist_user)
    assert login(other_clinic_user).get(reverse("outcomes:report_job", args=[job.id])).status_code == 404


def test_every_csv_export_carries_the_caveat(rosa, therapist_user):
    import pandas as pd

    http = login(therapist_user)
    exports_ = {
        "client": http.get(reverse("outcomes:client_csv", args=[rosa.id])).content.decode(),
        "groups": http.get(reverse("outcomes:clinic_csv")).content.decode(),
        "clients": http.get(reverse("outcomes:clinic_csv") + "?level=clients").content.decode(),
    }
    for name, text in exports_.items():
        comments = [line for line in text.splitlines() if line.startswith("#")]
        caveat = " ".join(comments)
        assert text.startswith("# ") and comments, name
        assert "no control group" in caveat and "observational" in caveat.lower(), name
        if name != "client":
            assert "N = 1 clients" in caveat and "1 clients in this selection" in caveat, name
        # Standard readers skip the comment lines and read the header and the data.
        frame = pd.read_csv(io.StringIO(text), comment="#")
        columns = {"client": exports.CLIENT_COLUMNS, "groups": exports.CLINIC_COLUMNS}
        assert list(frame.columns) == columns.get(name, exports.CLINIC_CLIENT_COLUMNS), name
        assert len(frame) >= 1, name
