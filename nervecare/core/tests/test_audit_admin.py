"""Clinic admins search and export the audit trail; no one else may, and no clinic sees another's."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core import audit
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 11, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def trail(clinic, other_clinic, therapist_user, junior_therapist_user, other_clinic_user):
    """Three days of events in Riverside, and one in the other clinic."""
    rosa, ivan = ClientFactory(clinic=clinic), ClientFactory(clinic=clinic)
    with time_machine.travel(MONDAY, tick=False):
        audit.record(actor=therapist_user, action="view", obj=rosa, summary="monday rosa")
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False):
        audit.record(actor=junior_therapist_user, action="update", obj=ivan, summary="tuesday ivan")
    with time_machine.travel(MONDAY + datetime.timedelta(days=2), tick=False):
        audit.record(actor=therapist_user, action="update", obj=rosa, summary="wednesday rosa")
    audit.record(
        actor=other_clinic_user, action="view", obj=ClientFactory(clinic=other_clinic), summary="elsewhere"
    )
    return {"rosa": rosa, "ivan": ivan}


def summaries(events) -> set[str]:
    """What the page showed, leaving out the events that record reading the trail itself."""
    return {e.summary for e in events if e.object_type != "core.auditevent"}


def test_the_admin_sees_the_clinics_events_only(admin_user, trail):
    response = login(admin_user).get(reverse("audit:events"))
    assert response.status_code == 200
    shown = summaries(response.context["page"])
    assert shown == {"monday rosa", "tuesday ivan", "wednesday rosa"}
    assert b"elsewhere" not in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "alice"}, {"monday rosa", "wednesday rosa"}),
        ({"action": "update"}, {"tuesday ivan", "wednesday rosa"}),
        ({"client": "ROSA"}, {"monday rosa", "wednesday rosa"}),
        ({"object_type": "clients.client", "object_id": "IVAN"}, {"tuesday ivan"}),
        ({"date_from": "2026-11-03", "date_to": "2026-11-03"}, {"tuesday ivan"}),
        ({"date_from": "2026-11-03"}, {"tuesday ivan", "wednesday rosa"}),
    ],
)
def test_filters(admin_user, trail, query, expected):
    query = {
        k: str(trail["rosa"].pk) if v == "ROSA" else str(trail["ivan"].pk) if v == "IVAN" else v
        for k, v in query.items()
    }
    response = login(admin_user).get(reverse("audit:events"), query)
    assert response.status_code == 200
    assert summaries(response.context["page"]) == expected


def test_bad_filters_are_named(admin_user, trail):
    response = login(admin_user).get(
        reverse("audit:events"), {"date_from": "2026-11-05", "date_to": "2026-11-01", "client": "x"}
    )
    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()
    assert set(response.context["form"].errors) == {"date_to", "client"}


def test_the_list_is_paginated(admin_user, clinic, therapist_user):
    rosa = ClientFactory(clinic=clinic)
    for i in range(55):
        audit.record(actor=therapist_user, action="view", obj=rosa, summary=f"read {i}")
    http = login(admin_user)
    first = http.get(reverse("audit:events"), {"actor": "alice"})
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.count == 55
    second = http.get(reverse("audit:events"), {"actor": "alice", "page": 2})
    assert summaries(second.context["page"]) == {f"read {i}" for i in range(5)}
    assert 'rel="prev"' in second.content.decode()


@pytest.mark.parametrize("who", ["therapist_user", "junior_therapist_user", "front_desk_user"])
def test_staff_who_are_not_admins_are_refused(request, who, trail):
    http = login(request.getfixturevalue(who))
    assert http.get(reverse("audit:events")).status_code == 403
    assert http.get(reverse("audit:export")).status_code == 403
    response = http.get("/api/v1/audit")
    assert response.status_code == 403
    assert "admins" in response.json()["detail"]
    assert not AuditEvent.objects.filter(object_type="core.auditevent").exists()


def test_a_portal_client_is_refused(clinic, trail):
    from nervecare.core.tests.factories import UserFactory

    http = login(UserFactory(username="cleo", clinic=clinic, role="client"))
    assert http.get(reverse("audit:events")).status_code == 403
    assert http.get("/api/v1/audit").status_code == 403


def test_another_clinics_admin_sees_only_their_clinic(other_admin, trail):
    http = login(other_admin)
    results = http.get("/api/v1/audit").json()["results"]
    assert summaries_of(results) == {"elsewhere"}
    page = http.get(reverse("audit:events")).context["page"]
    assert summaries(page) == {"elsewhere"}
    rows = b"".join(http.get(reverse("audit:export")).streaming_content).decode()
    assert "elsewhere" in rows and "rosa" not in rows


def summaries_of(results: list[dict]) -> set[str]:
    return {e["summary"] for e in results if e["object_type"] != "core.auditevent"}


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("audit:events")).status_code == 302
    assert client.get("/api/v1/audit").status_code == 401


def test_the_csv_export_holds_the_filtered_rows_with_their_hashes(admin_user, trail):
    response = login(admin_user).get(reverse("audit:export"), {"actor": "alice"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["summary"] for r in rows} == {"monday rosa", "wednesday rosa"}
    for row in rows:
        event = AuditEvent.objects.get(pk=row["id"])
        assert event.seq is not None  # the export seals the clinic's pending events first
        assert (row["seq"], row["hash"], row["prev_hash"]) == (str(event.seq), event.hash, event.prev_hash)


def test_csv_cells_cannot_become_spreadsheet_formulas(admin_user, clinic, therapist_user):
    audit.record(
        actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic), summary="=HYPERLINK(1)"
    )
    response = login(admin_user).get(reverse("audit:export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert "'=HYPERLINK(1)" in {r["summary"] for r in rows}


def test_reading_and_exporting_the_trail_is_recorded(admin_user, trail):
    http = login(admin_user)
    http.get(reverse("audit:events"), {"actor": "alice"}, REMOTE_ADDR="192.0.2.1")
    b"".join(http.get(reverse("audit:export")).streaming_content)
    http.get("/api/v1/audit", {"action": "view"})
    events = AuditEvent.objects.filter(object_type="core.auditevent").order_by("id")
    assert [e.summary for e in events] == [
        "Audit trail searched",
        "Audit trail exported (CSV)",
        "Audit trail searched (API)",
    ]
    assert events[0].changes == {"filters": {"actor": "alice"}}
    assert events[0].ip_address == "192.0.2.1"
    assert all(e.actor_username == "ada" for e in events)


def test_api_search_with_filters_and_paging(admin_user, trail):
    http = login(admin_user)
    body = http.get("/api/v1/audit", {"actor": "alice", "limit": 1}).json()
    assert body["count"] == 2 and body["limit"] == 1 and len(body["results"]) == 1
    assert body["results"][0]["summary"] == "wednesday rosa"
    assert set(body["results"][0]) >= {"hash", "prev_hash", "seq", "ip_address", "changes", "actor_username"}
    body = http.get("/api/v1/audit", {"client": trail["ivan"].pk}).json()
    assert [e["summary"] for e in body["results"]] == ["tuesday ivan"]


def test_api_bad_filters_are_json_field_errors(admin_user):
    http = login(admin_user)
    response = http.get("/api/v1/audit", {"date_from": "2026-11-05", "date_to": "2026-11-01"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "date_to", "label": "To", "message": "The end date is before the start date."}
    ]
    response = http.get("/api/v1/audit", {"action": "erase", "limit": 0})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"action", "limit"}


def test_the_nav_link_is_for_admins(admin_user, therapist_user):
    link = reverse("audit:events")
    assert link in login(admin_user).get(reverse("web:dashboard")).content.decode()
    assert link not in login(therapist_user).get(reverse("web:dashboard")).content.decode()
