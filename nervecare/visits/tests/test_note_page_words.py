"""Issue 19, point 12: the session note page. Areas treated are chosen on the body map (the list beside it is
the same field), the 0-10 ratings sit as before/after pairs, a new note starts from its care plan's template,
and saving with HTMX stays on the page (one swap, no page load)."""

import re

import pytest
from django.urls import reverse

from nervecare.conftest import login
from nervecare.plans.tests.factories import CarePlanFactory
from nervecare.visits import services
from nervecare.visits.models import SessionNote
from nervecare.visits.tests.conftest import GOOD_NOTE, session
from nervecare.visits.tests.test_views import form_data

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _page(appointment):
    return reverse("visits:note", args=[appointment.id])


def test_areas_are_chosen_on_the_body_map_not_drop_down_rows(appointment, therapist_user):
    html = login(therapist_user).get(_page(appointment)).content.decode()
    form = html[html.index('<form method="post" action="' + _page(appointment)) :]
    assert "areas-0-region" not in form  # the three drop-down rows are gone
    # The map's shapes are buttons carrying the same values as the list's boxes.
    assert re.search(r'<figure class="bodymap bodymap-toggle">', form)
    assert re.search(r'data-region="toes" data-side="left"[^>]*role="button"[^>]*aria-pressed="false"', form)
    assert 'name="areas_treated" value="toes:left"' in form
    assert 'aria-label="Body map: tap a region to tick it in the list"' in form


def test_ticked_areas_are_saved_and_both_sides_become_both(appointment, therapist_user):
    r = login(therapist_user).post(
        _page(appointment), form_data(areas_treated=["foot:left", "foot:right", "lower_back:midline"])
    )
    assert r.status_code == 302
    assert SessionNote.objects.get().areas_treated == [
        {"region": "foot", "side": "both"},
        {"region": "lower_back", "side": "midline"},
    ]
    page = login(therapist_user).get(_page(appointment)).content.decode()
    assert re.search(r'data-region="lower_back" data-side="midline"[^>]*aria-pressed="true"', page)
    assert 'value="foot:left" checked' in page or re.search(r'value="foot:left"[^>]*checked', page)


def test_ratings_are_before_and_after_pairs_side_by_side(appointment, therapist_user):
    html = login(therapist_user).get(_page(appointment)).content.decode()
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th>(.*?)</tr>", html, re.S)
    by_name = dict(rows)
    assert {"Pain", "Numbness", "Tingling", "Soreness"} <= set(by_name)
    assert 'name="pain_before"' in by_name["Pain"] and 'name="pain_after"' in by_name["Pain"]
    assert 'name="soreness_after"' in by_name["Soreness"]


def test_a_new_note_starts_from_its_care_plans_template(maria, therapist_user):
    plan = CarePlanFactory(
        client=maria,
        therapist=therapist_user.therapist,
        status="active",
        pressure="light",
        session_minutes=45,
        precautions=["Light pressure on the left arm (lymphoedema)."],
    )
    earlier = session(maria, therapist_user.therapist, days_ago=7)
    services.note_save(
        actor=therapist_user,
        appointment=earlier,
        data={
            **GOOD_NOTE,
            "areas_treated": [{"region": "toes", "side": "left"}],
            "next_session_plan": "Hands.",
        },
    )
    today = session(maria, therapist_user.therapist)
    today.plan = plan
    today.save(update_fields=["plan"])

    html = login(therapist_user).get(_page(today)).content.decode()
    assert re.search(r'<option value="light" selected>', html)
    assert re.search(r'name="minutes" value="45"', html)
    assert "Light pressure on the left arm (lymphoedema)." in html and "Planned last time" in html
    assert re.search(r'data-region="toes" data-side="left"[^>]*aria-pressed="true"', html)


def test_saving_with_htmx_swaps_the_note_in_place(appointment, therapist_user):
    http = login(therapist_user)
    page = http.get(_page(appointment)).content.decode()
    assert 'hx-post="' + _page(appointment) + '"' in page and 'hx-target="#note"' in page

    bad = http.post(_page(appointment), form_data(pain_after="11"), **HTMX)
    assert bad.status_code == 422
    body = bad.content.decode()
    assert body.startswith('<div id="note">') and "<html" not in body  # only the note, swapped in place
    assert "less than or equal to 10" in body

    ok = http.post(_page(appointment), form_data(), **HTMX, follow=True)
    body = ok.content.decode()
    assert ok.status_code == 200 and "<html" not in body and "Note saved (draft)." in body
