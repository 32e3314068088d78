"""The note page and the review page: happy path, wrong role, bad input, HTMX partial vs full page."""

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.visits import services
from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote
from nervecare.visits.tests.conftest import GOOD_NOTE, give_anticoagulants, give_dvt_signs, session

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def form_data(**changes):
    data = {
        "modality": "swedish",
        "pressure": "moderate",
        "minutes": "60",
        "subjective": "Feet burn at night.",
        "objective": "",
        "assessment": "",
        "plan": "",
        "pain_before": "6",
        "pain_after": "3",
        "numbness_before": "",
        "numbness_after": "",
        "tingling_before": "",
        "tingling_after": "",
        "soreness_after": "2",
        "next_session_plan": "Hands next time.",
        "areas_treated": ["foot:right", "foot:left"],
    }
    return data | changes


def note_page(appointment):
    return reverse("visits:note", args=[appointment.id])


# --- The note page ----------------------------------------------------------------------------------------


def test_the_page_shows_the_flags_at_the_top_and_an_empty_form(appointment, therapist_user):
    give_anticoagulants(appointment.client)

    r = login(therapist_user).get(note_page(appointment))

    assert r.status_code == 200
    html = r.content.decode()
    assert "Anticoagulants or bleeding disorder" in html
    assert "badge badge-modify" in html
    assert html.index("Anticoagulants") < html.index('name="pressure"')
    assert "<html" in html
    assert not SessionNote.objects.exists()  # opening shows the form; saving starts the note


def test_htmx_gets_the_partial(appointment, therapist_user):
    r = login(therapist_user).get(note_page(appointment), **HTMX)
    assert r.status_code == 200
    assert "<html" not in r.content.decode()
    assert 'id="note"' in r.content.decode()


def test_save_then_sign_then_amend(appointment, therapist_user):
    http = login(therapist_user)

    r = http.post(note_page(appointment), form_data())
    assert r.status_code == 302, r.content.decode()
    note = SessionNote.objects.get()
    assert note.areas_treated == [{"region": "foot", "side": "both"}]
    assert (note.pain_before, note.numbness_before, note.soreness_after) == (6, None, 2)

    r = http.post(reverse("visits:note_sign", args=[appointment.id]))
    assert r.status_code == 302
    note.refresh_from_db()
    assert note.is_signed

    page = http.get(note_page(appointment)).content.decode()
    assert "Add an amendment" in page
    assert 'name="pressure"' not in page  # no edit form on a signed note

    r = http.post(
        reverse("visits:amendment_add", args=[note.id]),
        {"reason": "Client phoned", "field": "soreness_after", "value": "5", "text": ""},
    )
    assert r.status_code == 302
    amendment = NoteAmendment.objects.get()
    assert amendment.changes == {"soreness_after": [2, 5]}
    page = http.get(note_page(appointment)).content.decode()
    assert "Client phoned" in page
    assert "amended" in page


def test_bad_input_is_422_marked_on_the_field_and_nothing_saved(appointment, therapist_user):
    r = login(therapist_user).post(
        note_page(appointment),
        form_data(pain_after="11", areas_treated=["neck:midline"]),
    )

    assert r.status_code == 422
    html = r.content.decode()
    assert "Nothing was saved" in html
    assert "less than or equal to 10" in html
    assert not SessionNote.objects.exists()


def test_an_area_the_map_does_not_offer_is_refused_on_the_areas_field(appointment, therapist_user):
    r = login(therapist_user).post(note_page(appointment), form_data(areas_treated=["neck:left"]))

    assert r.status_code == 422
    html = r.content.decode()
    assert 'id="areas-error"' in html and "not one of the available choices" in html
    assert not SessionNote.objects.exists()


def test_pressure_above_the_cap_is_shown_on_the_field(appointment, therapist_user):
    give_anticoagulants(appointment.client)
    r = login(therapist_user).post(note_page(appointment), form_data(pressure="firm"))
    assert r.status_code == 422
    assert (
        "the flag &#x27;Anticoagulants or bleeding disorder&#x27; allows moderate at most"
        in r.content.decode()
    )


def test_a_stop_flag_blocks_the_note_on_the_page(appointment, therapist_user):
    give_dvt_signs(appointment.client)
    http = login(therapist_user)

    page = http.get(note_page(appointment)).content.decode()
    assert "Do not treat" in page
    assert "badge badge-stop" in page

    r = http.post(note_page(appointment), form_data())
    assert r.status_code == 409
    assert "cannot go ahead" in r.content.decode()
    assert not SessionNote.objects.exists()


def test_sign_an_incomplete_note_shows_why(appointment, therapist_user):
    http = login(therapist_user)
    http.post(note_page(appointment), form_data(soreness_after=""))

    r = http.post(reverse("visits:note_sign", args=[appointment.id]), follow=True)

    assert "The note was not signed" in r.content.decode()
    assert "soreness_after" in r.content.decode()
    assert SessionNote.objects.get().signed_at is None


def test_a_bad_amendment_is_422(appointment, therapist_user):
    services.note_sign(
        actor=therapist_user,
        note=services.note_save(actor=therapist_user, appointment=appointment, data=dict(GOOD_NOTE)),
    )
    note = SessionNote.objects.get()

    r = login(therapist_user).post(
        reverse("visits:amendment_add", args=[note.id]),
        {"reason": "why", "field": "pain_after", "value": "12"},
    )

    assert r.status_code == 422
    assert "The amendment was not saved" in r.content.decode()
    assert not NoteAmendment.objects.exists()


def test_adverse_event_add_and_resolve_on_the_page(appointment, therapist_user):
    http = login(therapist_user)
    http.post(note_page(appointment), form_data())
    note = SessionNote.objects.get()

    bad = http.post(
        reverse("visits:adverse_event_add", args=[note.id]),
        {"event-kind": "bruising", "event-severity": "mild", "event-description": ""},
    )
    assert bad.status_code == 422
    assert not AdverseEvent.objects.exists()

    r = http.post(
        reverse("visits:adverse_event_add", args=[note.id]),
        {"event-kind": "bruising", "event-severity": "mild", "event-description": "Shin bruise"},
    )
    assert r.status_code == 302
    event = AdverseEvent.objects.get()

    r = http.post(
        reverse("visits:adverse_event_follow_up", args=[note.id, event.id]),
        {"follow_up": "Gone", "resolved": "on"},
    )
    assert r.status_code == 302
    event.refresh_from_db()
    assert event.resolved


def test_wrong_people_are_refused(
    appointment, therapist_user, junior_therapist_user, front_desk_user, other_clinic_user
):
    url = note_page(appointment)
    bob = login(junior_therapist_user)
    r = bob.get(url)
    assert r.status_code == 403
    assert bob.post(url, form_data()).status_code == 403
    assert login(front_desk_user).get(url).status_code == 403
    assert login(other_clinic_user).get(url).status_code == 404
    assert not SessionNote.objects.exists()


def test_anonymous_is_sent_to_log_in(appointment):
    r = HttpClient().get(note_page(appointment))
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


# --- The review page --------------------------------------------------------------------------------------


@pytest.fixture
def sore_client(clinic, therapist_user):
    client = ClientFactory(clinic=clinic, first_name="Sam", last_name="Sore")
    for days, soreness in ((14, 5), (7, 6)):
        appointment = session(client, therapist_user.therapist, days_ago=days)
        note = services.note_save(
            actor=therapist_user, appointment=appointment, data={**GOOD_NOTE, "soreness_after": soreness}
        )
        services.note_sign(actor=therapist_user, note=note)
    return client


def test_review_page_lists_clients_with_reasons(sore_client, therapist_user):
    r = login(therapist_user).get(reverse("visits:review"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Sam Sore" in html
    assert "Soreness of 4 or more after each of the last 2 sessions (5, 6)" in html
    assert "not values from a publication" in html


def test_review_page_htmx_partial_and_empty_state(therapist_user):
    r = login(therapist_user).get(reverse("visits:review"), **HTMX)
    assert r.status_code == 200
    assert "<html" not in r.content.decode()
    assert "No client needs review" in r.content.decode()


def test_review_page_query_count_is_pinned(sore_client, therapist_user, django_assert_num_queries):
    http = login(therapist_user)
    # session + user + two-step device (django-otp), then the selector's 4 queries (notes, amendments, adverse
    # events, clients), then the read event naming the clients shown (SQLite: the chain's head and the insert;
    # PostgreSQL: the insert, sealed after the response)
    with django_assert_num_queries({"sqlite": 9, "postgresql": 8}[connection.vendor]):
        r = http.get(reverse("visits:review"), **HTMX)
    assert r.status_code == 200


def test_review_page_is_for_clinical_staff(front_desk_user):
    assert login(front_desk_user).get(reverse("visits:review")).status_code == 403
