"""The permission matrix's second half: every second path to a session note agrees with the notes route.

test_permission_matrix.py asks each route whether a person may call it. This file asks each route that hands
out session notes (their text, ratings, amendments and adverse events) by another way, for each role and
each side, whether what it hands out is what GET /api/v1/notes/{id} would give that person (issue 14,
finding 2: a therapist the client was shared with got 403 on a colleague's note but all of them in the
record export). The oracle is the notes route itself, asked note by note:

- own: Ada (Alice's client), notes by Alice and by Bob (who covered one session);
- shared: Bea (Bob's client, shared with Alice), notes by Bob and by Alice;
- other: Carl (Bob's client, not shared with Alice), a note by Bob;
- foreign: Otto (another clinic), a note by Olga.

Paths: the record export (API JSON and PDF, the staff page's JSON), the portal's "my data", FHIR Procedure,
Observation, Encounter and DocumentReference (read and search) and the bulk $export, the client's outcomes
(JSON, CSV, the progress report PDF) and the dashboard's unsigned notes. The rule: a staff member gets only
the notes they may open (an admin: all of the clinic's), the client gets all of their own record.
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from nervecare.clients.models import Consent, ConsentText
from nervecare.clients.services import client_share
from nervecare.clients.tests.factories import ClientFactory, ConsentTextFactory
from nervecare.conftest import login
from nervecare.core.tests.factories import UserFactory
from nervecare.interop.models import ExportJob
from nervecare.interop.tests.test_bulk import everything, finished_manifest, kickoff
from nervecare.ops.tests.test_privacy_export import pdf_text
from nervecare.portal.models import ClientAccount
from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.visits import services as visit_services
from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote
from nervecare.web.dashboard import dashboard

pytestmark = pytest.mark.django_db

NOTE = {
    "modality": "swedish",
    "pressure": "light",
    "minutes": 45,
    "areas_treated": [{"region": "feet", "side": "both"}],
    "objective": "Skin intact.",
    "assessment": "Tolerated well.",
    "plan": "Continue weekly.",
    "pain_before": 6,
    "pain_after": 3,
    "numbness_before": 5,
    "numbness_after": 4,
    "tingling_before": 4,
    "tingling_after": 2,
    "soreness_after": 1,
}
# Each writer's adverse events are of their own kind, so a progress report shows whose sessions it counts.
KIND_OF = {"alice": "bruising", "bob": "dizziness", "olga": "fall"}
KIND_LABEL = {"bruising": "Bruising", "dizziness": "Dizziness", "fall": "Fall"}
ROLES = ("admin", "therapist", "front_desk", "client", "other_admin")
ADMINS = ("admin", "other_admin")  # the other clinic's admin is Otto's clinic's admin
SIDES = ("own", "shared", "other", "foreign")
FHIR = "/fhir/R4"


def _marker(user: Any, client: Any) -> str:
    return f"Written by {user.username} about {client.first_name}"


def _session(client: Any, user: Any, days_ago: int, *, signed: bool = True) -> SessionNote:
    """A session of `user` with `client` and its note (signed, amended, with an adverse event)."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=days_ago)
    appointment = AppointmentFactory(
        client=client, therapist=user.therapist, starts_at=start, status="completed"
    )
    note = visit_services.note_save(
        actor=user, appointment=appointment, data=dict(NOTE, subjective=_marker(user, client))
    )
    if signed:
        note = visit_services.note_sign(actor=user, note=note)
        visit_services.note_amend(actor=user, note=note, reason="Detail", text=f"Amended by {user.username}")
    visit_services.adverse_event_add(
        actor=user,
        note=note,
        data={"kind": KIND_OF[user.username], "severity": "mild", "description": f"Seen by {user.username}"},
    )
    return note


def _client(clinic: Any, primary: Any, first: str, last: str) -> Any:
    client = ClientFactory(
        clinic=clinic, first_name=first, last_name=last, primary_therapist=primary.therapist
    )
    Consent.objects.create(
        client=client, text=ConsentText.objects.get(clinic=clinic), given_at=timezone.now(), method="written"
    )
    return client


@pytest.fixture
def world(clinic, other_clinic, therapist_user, junior_therapist_user, front_desk_user, other_clinic_user):
    alice, bob, olga = therapist_user, junior_therapist_user, other_clinic_user
    admin = UserFactory(username="oona", clinic=clinic, role="admin")
    ConsentTextFactory(clinic=other_clinic, version="1.0")
    ada = _client(clinic, alice, "Ada", "Quillfeather")
    bea = _client(clinic, bob, "Bea", "Marchbanks")
    carl = _client(clinic, bob, "Carl", "Pennywhistle")
    otto = _client(other_clinic, olga, "Otto", "Vandersloot")
    client_share(actor=admin, client=bea, therapist_id=alice.therapist.id, reason="Covering")
    notes = {
        "own": [_session(ada, alice, 20), _session(ada, bob, 18), _session(ada, bob, 1, signed=False)],
        "shared": [_session(bea, bob, 16), _session(bea, alice, 14)],
        "other": [_session(carl, bob, 12)],
        "foreign": [_session(otto, olga, 10)],
    }
    portal = UserFactory(username="ada-portal", clinic=clinic, role="client", email="ada@example.org")
    ClientAccount.objects.create(user=portal, client=ada)
    users = {
        "admin": admin,
        "therapist": alice,
        "front_desk": front_desk_user,
        "client": portal,
        "other_admin": UserFactory(username="oscar", clinic=other_clinic, role="admin"),
    }
    clients = {"own": ada, "shared": bea, "other": carl, "foreign": otto}
    return SimpleNamespace(users=users, clients=clients, notes=notes, writers={"alice": alice, "bob": bob})


def readable(http: HttpClient, notes: list[SessionNote]) -> set[int]:
    """The oracle: the notes the person gets from the notes route itself."""
    return {n.id for n in notes if http.get(f"/api/v1/notes/{n.id}").status_code == 200}


def _events(note_ids: set[int]) -> set[int]:
    return set(AdverseEvent.objects.filter(note_id__in=note_ids).values_list("id", flat=True))


def _amendments(note_ids: set[int]) -> set[int]:
    return set(NoteAmendment.objects.filter(note_id__in=note_ids).values_list("id", flat=True))


def _writer(note: SessionNote) -> str:
    return note.appointment.therapist.user.username


def _cases(world: SimpleNamespace):
    for role in ROLES:
        http = login(world.users[role])
        for side in SIDES:
            notes = world.notes[side]
            yield role, side, http, world.clients[side], notes, readable(http, notes)


def test_the_premise_a_shared_therapist_may_open_only_their_own_notes(world):
    alice = login(world.users["therapist"])
    bob_on_bea, alice_on_bea = world.notes["shared"]
    assert alice.get(f"/api/v1/clients/{world.clients['shared'].id}").status_code == 200
    assert alice.get(f"/api/v1/notes/{bob_on_bea.id}").status_code == 403
    assert alice.get(f"/api/v1/notes/{alice_on_bea.id}").status_code == 200


def _check_export_document(
    doc: dict[str, Any], role: str, notes: list[SessionNote], allowed: set[int]
) -> None:
    got = {n["id"] for n in doc["session_notes"]}
    got_events = {e["id"] for n in doc["session_notes"] for e in n["adverse_events"]}
    got_amendments = {a["id"] for n in doc["session_notes"] for a in n["amendments"]}
    assert got <= allowed, (role, got - allowed)
    assert got_events <= _events(allowed) and got_amendments <= _amendments(allowed)
    if role in ADMINS:  # the whole record
        assert got == {n.id for n in notes} == allowed
        assert doc.get("complete", True) is True and "access_log" in doc and "diary_entries" in doc
    else:  # a therapist: their part, and nothing only an admin or the client reads
        assert got == allowed
        assert doc["complete"] is False
        assert "access_log" not in doc and "diary_entries" not in doc


def test_the_record_export_holds_only_the_notes_the_notes_route_gives(world):
    checked = 0
    for role, side, http, client, notes, allowed in _cases(world):
        api = http.get(f"/api/v1/clients/{client.id}/export?format=json")
        page = http.get(f"/clients/{client.id}/export/?format=json")
        assert (api.status_code == 200) == (page.status_code == 200), (role, side)
        if api.status_code != 200:
            continue
        for response in (api, page):
            _check_export_document(json.loads(response.content), role, notes, allowed)
        text = pdf_text(http.get(f"/api/v1/clients/{client.id}/export?format=pdf").content)
        for note in notes:
            writer = note.appointment.therapist.user
            assert (_marker(writer, client) in text) == (note.id in allowed), (role, side, writer.username)
        checked += 1
    assert checked == 6  # admin: own, shared, other; Alice: own, shared; the other clinic's admin: Otto


def test_the_portal_export_is_the_clients_whole_record(world):
    http = login(world.users["client"])
    doc = json.loads(http.get("/portal/my-data/?format=json").content)
    assert {n["id"] for n in doc["session_notes"]} == {n.id for n in world.notes["own"]}
    assert doc.get("complete", True) is True and "access_log" in doc


def _fhir_ids(http: HttpClient, resource_type: str, client_id: int) -> list[str] | None:
    response = http.get(f"{FHIR}/{resource_type}?patient={client_id}&_count=100")
    if response.status_code != 200:
        return None
    return [
        e["resource"]["id"]
        for e in response.json().get("entry", [])
        if e.get("search", {}).get("mode") != "outcome"
    ]


def test_fhir_hands_out_only_the_notes_the_notes_route_gives(world):
    checked = 0
    for role, side, http, client, notes, allowed in _cases(world):
        signed_allowed = {n.id for n in notes if n.id in allowed and n.signed_at}
        procedures = _fhir_ids(http, "Procedure", client.id)
        if procedures is None:
            continue
        checked += 1
        assert {int(i) for i in procedures} == signed_allowed, (role, side)
        for note in notes:
            read = http.get(f"{FHIR}/Procedure/{note.id}")
            assert (read.status_code == 200) == (note.id in signed_allowed), (role, side, note.id)
        observations = _fhir_ids(http, "Observation", client.id) or []
        from_notes = {int(i.split("-")[1]) for i in observations if i.startswith("note-")}
        assert from_notes == signed_allowed, (role, side)
        # Encounters are sessions: each one the appointment route gives too.
        for encounter in _fhir_ids(http, "Encounter", client.id) or []:
            assert http.get(f"/api/v1/appointments/{encounter}").status_code == 200
        # DocumentReference: the progress report it points to counts only the notes the reader may open.
        reference = http.get(f"{FHIR}/DocumentReference/report-{client.id}")
        if reference.status_code == 200:
            url = reference.json()["content"][0]["attachment"]["url"].removeprefix("http://testserver")
            text = pdf_text(http.get(url).content)
            counted = {_writer(n) for n in notes if n.signed_at and n.id in allowed}
            for writer in {_writer(n) for n in notes}:
                assert (KIND_LABEL[KIND_OF[writer]] in text) == (writer in counted), (role, side, writer)
    assert (
        checked == 12
    )  # the two admins and Alice search every side (an empty bundle for what they may not see)


def test_the_bulk_export_holds_only_the_notes_the_notes_route_gives(world):
    for role in ("therapist", "admin"):
        ExportJob.objects.all().delete()
        http = login(world.users[role])
        all_notes = [n for side in SIDES for n in world.notes[side]]
        allowed = {n.id for n in all_notes if n.signed_at} & readable(http, all_notes)
        _poll, manifest = finished_manifest(http, kickoff(http))
        files = everything(http, manifest)
        assert {int(p["id"]) for p in files.get("Procedure", [])} == allowed, role
        note_observations = {o["id"] for o in files.get("Observation", []) if o["id"].startswith("note-")}
        assert {int(i.split("-")[1]) for i in note_observations} == allowed, role


def test_outcomes_count_only_the_notes_the_notes_route_gives(world):
    checked = 0
    for role, side, http, client, notes, allowed in _cases(world):
        response = http.get(f"/api/v1/clients/{client.id}/outcomes")
        if response.status_code != 200:
            continue
        checked += 1
        result = response.json()
        signed_allowed = [n for n in notes if n.id in allowed and n.signed_at]
        assert result["attendance"]["signed_notes"] == len(signed_allowed), (role, side)
        assert len(result["adverse_events"]) == len(_events({n.id for n in signed_allowed})), (role, side)
        csv = http.get(f"/api/v1/clients/{client.id}/outcomes.csv").content.decode()
        for note in notes:
            if note.signed_at and note.id not in allowed:
                assert note.appointment.starts_at.isoformat() not in csv, (role, side)
    assert checked == 6  # admin: own, shared, other; Alice: own, shared; the other clinic's admin: Otto


def test_the_dashboard_lists_only_drafts_the_notes_route_gives(world):
    draft = world.notes["own"][2]  # Bob's unsigned note on Ada, Alice's client
    for role in ("admin", "therapist"):
        user = world.users[role]
        http = login(user)
        unsigned = list(dashboard(user)["unsigned"])
        assert all(http.get(f"/api/v1/notes/{n.id}").status_code == 200 for n in unsigned), role
        assert (draft in unsigned) == (role == "admin")


def test_the_review_list_gives_reasons_only_from_notes_the_notes_route_gives(world):
    # Bob's adverse events (dizziness) on Ada and Bea are unresolved; so are Alice's own (bruising).
    for role in ("admin", "therapist"):
        http = login(world.users[role])
        items = {i["client_id"]: i for i in http.get("/api/v1/review/clients").json()}
        for side in ("own", "shared"):
            messages = " ".join(r["message"] for r in items[world.clients[side].id]["reasons"])
            assert "bruising" in messages
            assert ("dizziness" in messages) == (role == "admin"), (role, side)
