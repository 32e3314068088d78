"""Session notes through the JSON API: each route, bad input (422 naming the field), 403/404, 409."""

import pytest

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote
from nervecare.visits.tests.conftest import GOOD_NOTE, give_anticoagulants, give_dvt_signs, session

pytestmark = pytest.mark.django_db

JSON = "application/json"


def error_fields(response):
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def note_url(appointment, action=""):
    return f"/api/v1/appointments/{appointment.id}/note" + (f"/{action}" if action else "")


def put_note(http, appointment, **changes):
    return http.put(note_url(appointment), {**GOOD_NOTE, **changes}, content_type=JSON)


@pytest.fixture
def signed_api(api, appointment):
    assert put_note(api, appointment).status_code == 200
    r = api.post(note_url(appointment, "sign"))
    assert r.status_code == 200, r.content
    return r.json()


# --- PUT / GET the appointment's note ---------------------------------------------------------------------


def test_put_starts_the_draft_and_get_returns_it(api, appointment):
    r = put_note(api, appointment)

    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "draft"
    assert body["appointment_id"] == appointment.id
    assert body["areas_treated"] == [
        {"region": "foot", "side": "both"},
        {"region": "lower_back", "side": "midline"},
    ]
    assert body["therapist"] == "Alice"
    assert body["current"]["soreness_after"] == 1
    again = api.get(note_url(appointment))
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert AuditEvent.objects.filter(object_type="visits.sessionnote", action="view").exists()


def test_get_before_a_note_is_started_is_404(api, appointment):
    r = api.get(note_url(appointment))
    assert r.status_code == 404
    assert "PUT" in r.json()["detail"]


def test_put_again_updates_the_draft(api, appointment):
    put_note(api, appointment)
    r = put_note(
        api,
        appointment,
        minutes=30,
        adverse_events=[{"kind": "dizziness", "severity": "mild", "description": "Dizzy"}],
    )
    assert r.status_code == 200
    assert r.json()["minutes"] == 30
    assert [e["kind"] for e in r.json()["adverse_events"]] == ["dizziness"]
    assert SessionNote.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pain_after": 11}, "pain_after"),
        ({"pain_after": "5"}, "pain_after"),
        ({"soreness_after": 4.5}, "soreness_after"),
        ({"minutes": 0}, "minutes"),
        ({"pressure": "deep"}, "pressure"),
        ({"areas_treated": [{"region": "wing", "side": "left"}]}, "areas_treated[0].region"),
        ({"areas_treated": [{"region": "hand", "side": "up"}]}, "areas_treated[0].side"),
        ({"areas_treated": [{"region": "hand"}]}, "areas_treated[0].side"),
        ({"colour": "blue"}, "colour"),
        (
            {"adverse_events": [{"kind": "rash", "severity": "mild", "description": "x"}]},
            "adverse_events[0].kind",
        ),
    ],
)
def test_put_bad_input_is_422_naming_the_field_and_stores_nothing(api, appointment, changes, field):
    r = put_note(api, appointment, **changes)

    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    assert not SessionNote.objects.exists()
    assert not AdverseEvent.objects.exists()


def test_put_with_a_stop_flag_is_409_naming_the_flag(api, appointment):
    give_dvt_signs(appointment.client)

    r = put_note(api, appointment)

    assert r.status_code == 409
    body = r.json()
    assert "Suspected deep vein thrombosis" in body["detail"]
    assert "flags.suspected_dvt" in error_fields(r)
    assert not SessionNote.objects.exists()


def test_put_above_the_pressure_cap_is_422_naming_the_flag(api, appointment):
    give_anticoagulants(appointment.client)
    r = put_note(api, appointment, pressure="firm")
    assert r.status_code == 422
    assert "Anticoagulants or bleeding disorder" in error_fields(r)["pressure"]


# --- Sign -------------------------------------------------------------------------------------------------


def test_sign_locks_the_note_and_a_later_put_is_409(api, appointment, signed_api):
    assert signed_api["status"] == "signed"
    assert signed_api["signed_by"] == "alice"

    r = put_note(api, appointment, soreness_after=8)

    assert r.status_code == 409
    assert "amendment" in r.json()["detail"]
    assert SessionNote.objects.get().soreness_after == 1


def test_sign_an_incomplete_note_is_422(api, appointment):
    api.put(note_url(appointment), {"subjective": "Tired"}, content_type=JSON)
    r = api.post(note_url(appointment, "sign"))
    assert r.status_code == 422
    assert {"pressure", "minutes", "areas_treated", "soreness_after"} <= set(error_fields(r))
    assert SessionNote.objects.get().signed_at is None


def test_sign_without_a_note_is_404(api, appointment):
    assert api.post(note_url(appointment, "sign")).status_code == 404


def test_sign_with_a_stop_flag_is_409(api, appointment):
    put_note(api, appointment)
    give_dvt_signs(appointment.client)
    r = api.post(note_url(appointment, "sign"))
    assert r.status_code == 409
    assert SessionNote.objects.get().signed_at is None


# --- Notes, amendments, adverse events ----------------------------------------------------------------------


def test_get_note_by_id(api, signed_api):
    r = api.get(f"/api/v1/notes/{signed_api['id']}")
    assert r.status_code == 200
    assert r.json()["status"] == "signed"


def test_amend_a_signed_note_keeps_the_original(api, signed_api):
    r = api.post(
        f"/api/v1/notes/{signed_api['id']}/amendments",
        {"reason": "Client phoned", "changes": {"soreness_after": 5}, "text": "Sore two days."},
        content_type=JSON,
    )

    assert r.status_code == 201, r.content
    assert r.json()["changes"] == {"soreness_after": [1, 5]}
    note = api.get(f"/api/v1/notes/{signed_api['id']}").json()
    assert note["soreness_after"] == 1
    assert note["current"]["soreness_after"] == 5
    assert [a["reason"] for a in note["amendments"]] == ["Client phoned"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "", "text": "x"}, "reason"),
        ({"reason": "why", "changes": {"pain_after": 11}}, "changes.pain_after"),
        ({"reason": "why", "changes": {"colour": "red"}}, "changes.colour"),
        (
            {"reason": "why", "changes": {"areas_treated": [{"region": "wing", "side": "left"}]}},
            "changes.areas_treated[0].region",
        ),
        ({"reason": "why", "extra": 1}, "extra"),
        ({"reason": "why", "changes": {"subjective": "nul\u0000here"}}, "changes.subjective"),
    ],
)
def test_bad_amendment_is_422_and_stores_nothing(api, signed_api, body, field):
    r = api.post(f"/api/v1/notes/{signed_api['id']}/amendments", body, content_type=JSON)
    assert r.status_code == 422, r.content
    assert field in error_fields(r)
    assert not NoteAmendment.objects.exists()


def test_amending_a_draft_is_409(api, appointment):
    note = put_note(api, appointment).json()
    r = api.post(f"/api/v1/notes/{note['id']}/amendments", {"reason": "r", "text": "t"}, content_type=JSON)
    assert r.status_code == 409


def test_adverse_event_add_and_follow_up(api, signed_api):
    url = f"/api/v1/notes/{signed_api['id']}/adverse-events"
    r = api.post(
        url, {"kind": "bruising", "severity": "mild", "description": "Shin bruise"}, content_type=JSON
    )
    assert r.status_code == 201, r.content
    event = r.json()
    assert event["resolved"] is False

    r = api.patch(f"{url}/{event['id']}", {"resolved": True, "follow_up": "Gone"}, content_type=JSON)
    assert r.status_code == 200, r.content
    assert r.json()["resolved"] is True
    assert r.json()["resolved_at"]

    bad = api.patch(f"{url}/{event['id']}", {"description": "rewritten"}, content_type=JSON)
    assert bad.status_code == 422
    assert "description" in error_fields(bad)


def test_client_notes_lists_the_users_notes(api, maria, signed_api, junior_therapist_user):
    bobs = session(maria, junior_therapist_user.therapist, days_ago=2)
    put_note(login(junior_therapist_user), bobs)

    r = api.get(f"/api/v1/clients/{maria.id}/notes")

    assert r.status_code == 200
    assert [n["id"] for n in r.json()] == [signed_api["id"]]


def test_review_lists_clients_with_reasons(api, maria, signed_api):
    api.post(
        f"/api/v1/notes/{signed_api['id']}/adverse-events",
        {"kind": "fall", "severity": "moderate", "description": "Slipped leaving"},
        content_type=JSON,
    )

    r = api.get("/api/v1/review/clients")

    assert r.status_code == 200
    assert r.json() == [
        {
            "client_id": maria.id,
            "first_name": "Maria",
            "last_name": "Lopez",
            "primary_therapist": "Alice",
            "recent_soreness": [1],
            "reasons": [
                {"code": "adverse_event_unresolved", "message": r.json()[0]["reasons"][0]["message"]}
            ],
        }
    ]


def test_review_lists_only_the_clients_the_therapist_may_see(api, maria, signed_api, junior_therapist_user):
    api.post(
        f"/api/v1/notes/{signed_api['id']}/adverse-events",
        {"kind": "fall", "severity": "moderate", "description": "Slipped leaving"},
        content_type=JSON,
    )

    r = login(junior_therapist_user).get("/api/v1/review/clients")

    assert r.status_code == 200
    assert r.json() == []  # Maria is Alice's client


# --- Who may call -----------------------------------------------------------------------------------------


def test_another_therapist_gets_403_with_a_reason_and_nothing_changes(
    appointment, signed_api, junior_therapist_user
):
    bob = login(junior_therapist_user)
    note_id = signed_api["id"]
    calls = [
        bob.get(note_url(appointment)),
        bob.put(note_url(appointment), GOOD_NOTE, content_type=JSON),
        bob.post(note_url(appointment, "sign")),
        bob.get(f"/api/v1/notes/{note_id}"),
        bob.post(f"/api/v1/notes/{note_id}/amendments", {"reason": "r", "text": "t"}, content_type=JSON),
        bob.post(
            f"/api/v1/notes/{note_id}/adverse-events",
            {"kind": "fall", "severity": "mild", "description": "x"},
            content_type=JSON,
        ),
    ]
    assert [c.status_code for c in calls] == [403] * len(calls)
    assert "Alice" in calls[0].json()["detail"]
    assert not NoteAmendment.objects.exists()
    assert not AdverseEvent.objects.exists()


def test_front_desk_gets_403(appointment, signed_api, front_desk_user, maria):
    desk = login(front_desk_user)
    assert desk.get(note_url(appointment)).status_code == 403
    assert desk.put(note_url(appointment), GOOD_NOTE, content_type=JSON).status_code == 403
    assert desk.get(f"/api/v1/notes/{signed_api['id']}").status_code == 403
    assert desk.get(f"/api/v1/clients/{maria.id}/notes").status_code == 403
    assert desk.get("/api/v1/review/clients").status_code == 403


def test_another_clinic_gets_404(appointment, signed_api, other_clinic_user, maria):
    olga = login(other_clinic_user)
    assert olga.get(note_url(appointment)).status_code == 404
    assert olga.put(note_url(appointment), GOOD_NOTE, content_type=JSON).status_code == 404
    assert olga.post(note_url(appointment, "sign")).status_code == 404
    assert olga.get(f"/api/v1/notes/{signed_api['id']}").status_code == 404
    assert (
        olga.post(
            f"/api/v1/notes/{signed_api['id']}/amendments", {"reason": "r", "text": "t"}, content_type=JSON
        ).status_code
        == 404
    )
    assert olga.get(f"/api/v1/clients/{maria.id}/notes").status_code == 404
    assert olga.get("/api/v1/review/clients").json() == []
    assert SessionNote.objects.get().signed_by.username == "alice"


def test_a_clinic_admin_may_open_any_note(appointment, signed_api, admin_user):
    assert login(admin_user).get(note_url(appointment)).status_code == 200


def test_anonymous_gets_401(appointment):
    from django.test import Client as HttpClient

    assert HttpClient().get(note_url(appointment)).status_code == 401


def test_the_routes_are_in_the_openapi_schema(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/appointments/{appointment_id}/note",
        "/api/v1/appointments/{appointment_id}/note/sign",
        "/api/v1/notes/{note_id}",
        "/api/v1/notes/{note_id}/amendments",
        "/api/v1/clients/{client_id}/notes",
        "/api/v1/review/clients",
    } <= set(paths)


def test_other_clinic_client_notes_are_not_listed(api, other_clinic_user):
    theirs = ClientFactory(clinic=other_clinic_user.clinic)
    assert api.get(f"/api/v1/clients/{theirs.id}/notes").status_code == 404
