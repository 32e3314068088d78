"""Adherence in the outcomes (issue 18 point 5): per week on the client's outcomes page and in the PDF; the
clinic view by adherence band with the observational caveat in words."""

import datetime

import pytest
from django.urls import reverse

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.outcomes.adherence import ADHERENCE_CAVEAT, outcomes_by_adherence
from nervecare.outcomes.cohort import ClientRow, group_stats
from nervecare.outcomes.tests.test_views import pdf_text
from nervecare.selfcare.selectors import client_today
from nervecare.selfcare.tests.factories import CheckOffFactory, ProgrammeFactory, ProgrammeItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticked(lops_client):
    today = client_today(lops_client)  # the clinic's day, as the adherence is counted (not the server's)
    monday = today - datetime.timedelta(days=today.weekday())
    programme = ProgrammeFactory(client=lops_client, starts_on=monday - datetime.timedelta(days=7))
    item = ProgrammeItemFactory(programme=programme, item_code="foot_inspection")
    # every day from last Monday to today (today counts as a day of the programme: a test run on any weekday
    # finds the same 100%)
    for i in range((today - monday).days + 8):
        CheckOffFactory(item=item, day=monday - datetime.timedelta(days=7 - i))
    return lops_client


def test_the_outcomes_page_shows_adherence_per_week(ticked, therapist_user):
    html = login(therapist_user).get(reverse("outcomes:client", args=[ticked.id])).content.decode()
    assert "Home self-care adherence" in html
    assert "100%" in html and "assigned item-days ticked off" in html


def test_the_pdf_has_the_adherence_table(ticked, therapist_user):
    for audience in ("client", "clinician"):
        r = login(therapist_user).get(
            reverse("outcomes:client_pdf", args=[ticked.id]) + f"?audience={audience}"
        )
        text = pdf_text(r.content)
        assert "Home self-care" in text and "100%" in text


def test_clinic_view_groups_by_band_with_the_caveat(ticked, clinic, therapist_user):
    other = ClientFactory(clinic=clinic)
    rows = [ClientRow(ticked.id), ClientRow(other.id)]
    found = outcomes_by_adherence(rows, group_stats=group_stats)
    assert [(g["key"], g["clients"]) for g in found["groups"]] == [("high", 1), ("none", 1)]
    assert "clients who do more home care may differ in other ways; this does not show cause" in (
        found["caveat"].lower()
    )
    html = login(therapist_user).get(reverse("outcomes:clinic")).content.decode()
    assert "By home self-care adherence" in html and ADHERENCE_CAVEAT.split(";")[0] in html
