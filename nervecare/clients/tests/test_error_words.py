"""Issue 19, point 7: errors name fields in the user's words, beside the field; never "side:", "starts_at:" or
a region's code."""

import datetime as dt

import pytest
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.clients.tests.test_pages import intake_post
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.labels import field_label, message_with_label

pytestmark = pytest.mark.django_db


def test_a_sided_region_without_a_side_is_named_in_words_beside_its_side(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    data = {k: v for k, v in intake_post().items() if k.startswith("marks-")} | {
        "marks-2-region": "sole",
        "marks-2-side": "",
        "marks-2-sensation": "numbness",
        "marks-2-intensity": "4",
    }
    r = login(therapist_user).post(f"/clients/{client.id}/body-map/", data)
    html = r.content.decode()
    assert r.status_code == 422
    assert "Sole of foot needs a side: left, right or both" in html
    assert (
        "side: sole" not in html and "sole needs a side" not in html
    )  # was "Row 3: side: sole needs a side"
    # Beside the side field of that row, not in a list at the top.
    row = html[html.index('name="marks-2-region"') : html.index('name="marks-2-sensation"')]
    assert "Sole of foot needs a side" in row


def test_a_refused_booking_names_the_field_in_words_in_the_api_and_on_the_page(api, therapist_user, clinic):
    from nervecare.scheduling.tests.factories import ServiceFactory

    client = ClientFactory(clinic=clinic, primary_therapist=therapist_user.therapist)
    service = ServiceFactory(clinic=clinic)
    past = timezone.now() - dt.timedelta(days=1)
    r = api.post(
        "/api/v1/appointments",
        {
            "client_id": client.id,
            "therapist_id": therapist_user.therapist.id,
            "service_id": service.id,
            "starts_at": past.isoformat(),
        },
        content_type="application/json",
    )
    assert r.status_code == 422
    error = next(e for e in r.json()["errors"] if e["field"] == "starts_at")
    assert error["label"] == "Start"  # the program keeps "starts_at"; a person reads "Start"
    assert str(FieldErrors({"starts_at": "cannot be in the past"})) == "Start: cannot be in the past"


def test_field_paths_read_as_words():
    assert field_label("changes.pain_after") == "Pain after the session"
    assert field_label("marks[2].side") == "Row 3: side"
    assert field_label("conditions[0].platelets_per_ul") == "Condition 1: platelets (per µL)"
    assert message_with_label("reason", "say why") == "Reason: say why"
    assert message_with_label("__all__", "Something is off.") == "Something is off."
