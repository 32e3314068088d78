"""The claims ledger's page, API resource and PDF sections, for one client and the clinic, with the outcomes
pages' permissions; and the client's plain version in the portal (issue 21 point 2)."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import UserFactory
from nervecare.outcomes.tests.conftest import now, response
from nervecare.outcomes.tests.test_plain_reports import JARGON, _report
from nervecare.outcomes.tests.test_views import pdf_text
from nervecare.portal.models import DiaryEntry
from nervecare.portal.tests.factories import ClientAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rosa_mood(rosa):
    """Rosa answered PHQ-2 at intake (4) and after her sessions (2), and kept a diary."""
    response(rosa, "phq2", 4, now() - dt.timedelta(weeks=7))
    response(rosa, "phq2", 2, now() - dt.timedelta(days=1), context="visit")
    for i in range(10):
        DiaryEntry.objects.create(client=rosa, day=(now() - dt.timedelta(days=20 - i)).date(), pain=5, numbness=4,
                                  tingling=3, sleep=4, sleep_quality=4 + i // 4)  # fmt: skip
    return rosa


def test_therapist_sees_the_clients_ledger(therapist_user, rosa_mood):
    page = login(therapist_user).get(reverse("outcomes:client_claims", args=[rosa_mood.id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-claim="mood" data-status="data"' in html
    assert 'data-claim="immunity" data-status="not_measurable"' in html
    assert "not measurable with a massage clinic" in html
    assert 'data-claim="cramps" data-status="no_data"' in html and "No data yet" in html
    assert "Lopez et al. 2022" in html and "no control group" in html.lower()
    assert AuditEvent.objects.filter(summary="Claims ledger viewed", object_id=str(rosa_mood.id)).exists()


def test_other_roles_and_clinics_are_refused_like_the_outcomes_pages(rosa, clinic, other_clinic):
    bob = UserFactory(username="bob", clinic=clinic, role="therapist")
    from nervecare.core.tests.factories import TherapistFactory

    TherapistFactory(user=bob, clinic=clinic)
    desk = UserFactory(username="desk", clinic=clinic, role="front_desk")
    olga = UserFactory(username="olga", clinic=other_clinic, role="admin")
    url = reverse("outcomes:client_claims", args=[rosa.id])
    for user, outcome in ((bob, 404), (desk, 403), (olga, 404)):
        assert login(user).get(url).status_code == outcome, user
        assert login(user).get(reverse("outcomes:client", args=[rosa.id])).status_code == outcome
    assert login(desk).get(reverse("outcomes:clinic_claims")).status_code == 403
    api = login(bob).get(f"/api/v1/clients/{rosa.id}/claims")
    assert api.status_code == 404


def test_api_gives_the_same_numbers_as_the_page(therapist_user, rosa_mood):
    r = login(therapist_user).get(f"/api/v1/clients/{rosa_mood.id}/claims")
    assert r.status_code == 200
    body = r.json()
    mood = next(c for c in body["claims"] if c["id"] == "mood")
    phq2 = mood["measures"][0]
    assert (phq2["baseline"], phq2["current"], phq2["change"]["value"]) == (4.0, 2.0, -2.0)
    assert phq2["important"]["published"] is False
    assert phq2["cutoff_baseline"] is True and phq2["cutoff_now"] is False  # PHQ-2 >= 3 (Kroenke)
    pain = next(c for c in body["claims"] if c["id"] == "nerve_pain")["measures"][0]
    assert pain["important"]["published"] is True and "Farrar" in pain["important"]["source"]


def test_clinic_ledger_page_api_and_report(therapist_user, admin_user, rosa_mood):
    page = login(therapist_user).get(reverse("outcomes:clinic_claims"))
    assert page.status_code == 200 and 'data-claim="nerve_pain" data-status="data"' in page.content.decode()
    body = login(admin_user).get("/api/v1/outcomes/claims").json()
    assert body["scope"] == "clinic" and body["clients"] == 1
    from nervecare.outcomes.claims.selectors import clinic_claims
    from nervecare.outcomes.cohort import CohortFilters, clinic_outcomes
    from nervecare.outcomes.reports.clinic import clinic_report_pdf

    result = clinic_outcomes(rosa_mood.clinic, CohortFilters(), with_model=False)
    text = pdf_text(clinic_report_pdf(result, claims=clinic_claims(rosa_mood.clinic)))
    assert "Claims ledger" in text and "Immunity" in text


def test_clinicians_pdf_has_the_ledger_and_the_clients_pdf_speaks_plainly(therapist_user, rosa_mood):
    clinician = _report(therapist_user, rosa_mood, "clinician")
    assert "Claims ledger" in clinician and "95% CI" in clinician
    plain = _report(therapist_user, rosa_mood, "client")
    assert "What massage is said to do" in plain and "cannot be measured in a massage clinic" in plain
    for word in JARGON:
        assert not re.search(rf"\b{re.escape(word)}\b", plain), word


def test_client_sees_the_plain_version_in_the_portal(rosa_mood, clinic):
    account = ClientAccountFactory(client=rosa_mood, user__username="rosa")
    other = ClientAccountFactory(client=ClientFactory(clinic=clinic), user__username="dora")
    page = login(account.user).get(reverse("portal:claims"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "6 when you started" in html  # her pain: 6 at intake
    assert "no data yet" in html.lower() and "not that massage does nothing" in html
    assert "95%" not in html and "PHQ" not in html
    assert "6 when you started" not in login(other.user).get(reverse("portal:claims")).content.decode()
    pdf = login(account.user).get(reverse("portal:report"))
    assert "What massage is said to do" in pdf_text(pdf.content)


def test_bad_input_for_a_client_id(therapist_user):
    assert login(therapist_user).get("/api/v1/clients/999999/claims").status_code == 404
    assert login(therapist_user).get("/api/v1/clients/abc/claims").status_code == 422
    assert json.loads(login(therapist_user).get("/api/v1/clients/abc/claims").content)["errors"]


def test_the_clinic_ledger_reads_in_a_fixed_number_of_queries(rosa_mood, clinic, alice_therapist,
                                                              django_assert_num_queries):  # fmt: skip
    from nervecare.outcomes.claims.selectors import clinic_claims
    from nervecare.outcomes.tests.conftest import course

    for i in range(5):
        other = ClientFactory(clinic=clinic, first_name=f"C{i}")
        course(other, alice_therapist, [6, 5, 4], start=now() - dt.timedelta(weeks=4))
    # client ids, conditions, notes, amendments, questionnaires, diary, physical measures
    with django_assert_num_queries(7):
        ledger = clinic_claims(clinic)
    assert ledger["clients"] == 6
