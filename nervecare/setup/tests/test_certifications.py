"""Therapist profile: trainings and certifications with expiry dates. An expired one is shown as expired and no
longer counts for matching (plan matching, who may be booked for a service, free slots)."""

import datetime as dt

import pytest
import time_machine

from nervecare.plans.services import plan_recommendation
from nervecare.scheduling.selectors import qualified_therapists
from nervecare.scheduling.services.checks import _qualification_errors
from nervecare.scheduling.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(TODAY, tick=False):
        yield


def _profile(http, therapist, **certs):
    data = {"display_name": therapist.display_name, "years_experience": "8", "bio": "Calm hands."}
    for code, expires in certs.items():
        data[f"cert_{code}"] = "on"
        data[f"expires_{code}"] = expires or ""
    return http.post(f"/setup/therapists/{therapist.id}/", data)


def test_expired_certification_is_shown_and_stops_counting(owner_http, therapist_user, clinic):
    alice = therapist_user.therapist
    r = _profile(owner_http, alice, oncology_massage="2027-02-28", mld="2027-03-01", diabetic_foot="")
    assert r.status_code == 302
    alice.refresh_from_db()
    assert alice.certifications_on(TODAY.date()) == ["mld", "diabetic_foot"]  # valid through the expiry day
    page = owner_http.get(f"/setup/staff/{therapist_user.id}/").content.decode()
    assert "expired 2027-02-28" in page and "valid until 2027-03-01" in page
    oncology = ServiceFactory(clinic=clinic, code="onc", required_certifications=["oncology_massage"])
    assert alice not in qualified_therapists(clinic.id, oncology)
    assert "oncology_massage" in _qualification_errors(alice, oncology, None, on=TODAY.date())["therapist_id"]
    mld = ServiceFactory(clinic=clinic, code="mld60", modality="mld", required_certifications=["mld"])
    assert alice in qualified_therapists(clinic.id, mld)


def test_certification_counts_on_the_sessions_date_not_today(therapist_user, clinic, front_desk_user):
    """Valid today but expired by the session's date: not bookable then, not offered then; the FHIR
    Practitioner marks each certification's validity with Period.end."""
    from nervecare.clients.tests.factories import ClientFactory
    from nervecare.core.errors import FieldErrors
    from nervecare.interop import mapping
    from nervecare.scheduling.selectors import free_slots
    from nervecare.scheduling.services import appointment_book
    from nervecare.scheduling.tests.factories import WorkingHoursFactory

    alice = therapist_user.therapist
    alice.certification_expiry = {"oncology_massage": "2027-03-03"}  # Wednesday
    alice.save()
    for weekday in range(7):
        WorkingHoursFactory(therapist=alice, weekday=weekday, start=dt.time(9), end=dt.time(17))
    oncology = ServiceFactory(clinic=clinic, code="onc", required_certifications=["oncology_massage"])
    assert alice in qualified_therapists(clinic.id, oncology)  # today
    assert alice in qualified_therapists(
        clinic.id, oncology, on=dt.date(2027, 3, 3)
    )  # through the expiry day
    assert alice not in qualified_therapists(clinic.id, oncology, on=dt.date(2027, 3, 4))
    client = ClientFactory(clinic=clinic)

    def book(day):
        return appointment_book(
            actor=front_desk_user,
            client=client,
            therapist_id=alice.id,
            service_id=oncology.id,
            starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC),
        )

    book(dt.date(2027, 3, 3))
    with pytest.raises(FieldErrors) as exc:
        book(dt.date(2027, 3, 5))
    assert (
        "not valid on 05 March 2027 (oncology_massage until 2027-03-03)" in exc.value.errors["therapist_id"]
    )
    slots = free_slots(
        clinic=clinic,
        service=oncology,
        start=dt.date(2027, 3, 2),
        end=dt.date(2027, 3, 8),
        therapists=[alice],
        limit=500,
    )
    assert {s["starts_at"].date() for s in slots} == {dt.date(2027, 3, 2), dt.date(2027, 3, 3)}
    qualifications = mapping.practitioner(alice)["qualification"]
    onc = next(q for q in qualifications if q["code"]["coding"][0]["code"] == "oncology_massage")
    assert onc["period"] == {"end": "2027-03-03"}
    assert all("period" not in q for q in qualifications if q is not onc)


def test_plan_matching_ignores_an_expired_certification(owner_http, therapist_user, clinic):
    from nervecare.clients.tests.factories import ClientFactory

    alice = therapist_user.therapist
    alice.certification_expiry = {"oncology_massage": "2026-12-31"}
    alice.save()
    client = ClientFactory(clinic=clinic)
    proposal = plan_recommendation(client, [])
    mine = next(t for t in proposal["therapist_ranking"] if t["therapist_id"] == alice.id)
    assert "oncology_massage" not in mine["certifications"]


def test_bad_profile_input_is_refused_by_field(owner_http, therapist_user):
    alice = therapist_user.therapist
    r = owner_http.post(
        f"/setup/therapists/{alice.id}/",
        {"display_name": "", "years_experience": "400", "cert_mld": "on", "expires_mld": "31/02/2027"},
    )
    assert r.status_code == 422
    assert {"display_name", "years_experience", "expires_mld"} <= set(r.context["form"].errors)
    api = owner_http.patch(
        f"/api/v1/setup/therapists/{alice.id}",
        {"certifications": [{"code": "reiki"}, {"code": "mld", "expires_on": "2028-01-01"}]},
        content_type="application/json",
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "certifications[0].code"
    alice.refresh_from_db()
    assert alice.certifications == ["oncology_massage", "mld", "diabetic_foot"]


def test_api_returns_expiry_and_expired(owner_http, therapist_user):
    alice = therapist_user.therapist
    r = owner_http.patch(
        f"/api/v1/setup/therapists/{alice.id}",
        {
            "years_experience": 9,
            "certifications": [{"code": "mld", "expires_on": "2027-01-31"}, {"code": "neuro_rehab"}],
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    certs = {c["code"]: c for c in r.json()["certifications"]}
    assert certs["mld"]["expired"] is True and certs["neuro_rehab"]["expired"] is False
    assert r.json()["years_experience"] == 9


def test_plan_ranking_uses_the_courses_dates_and_says_when_training_expires_during_it(
    therapist_user, junior_therapist_user, clinic, owner
):
    """The recommendation counts certifications on the plan's start, not today: valid today but expired by
    the start does not count; valid at the start but expiring before the course's last week is eligible,
    named ("expires during the course") and ranked after a colleague whose training lasts the course."""
    from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
    from nervecare.plans.models import CarePlan
    from nervecare.plans.selectors import plan_page

    alice = therapist_user.therapist
    alice.certifications = ["oncology_massage"]
    alice.years_experience = 12
    alice.certification_expiry = {"oncology_massage": "2027-04-30"}
    alice.save()
    bob = junior_therapist_user.therapist
    bob.certifications, bob.years_experience = ["oncology_massage"], 3
    bob.save()
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="chemotherapy")

    def ranking(**kw):
        proposal = plan_recommendation(client, [], **kw)
        assert "oncology_massage" in proposal["required_certifications"]
        return {t["therapist_id"]: t for t in proposal["therapist_ranking"]}, proposal["therapist_ranking"]

    # Today (1 March), a 12-week course ends 23 May: Alice's training lapses on 30 April, during it.
    by_id, order = ranking()
    assert by_id[alice.id]["eligible"] and by_id[alice.id]["expires_during_course"] == {
        "oncology_massage": "2027-04-30"
    }
    assert any(
        "expires during the course (valid until 30 April 2027)" in r for r in by_id[alice.id]["reasons"]
    )
    assert order[0]["therapist_id"] == bob.id  # more experience does not outrank training that lasts
    assert by_id[bob.id]["expires_during_course"] == {}
    # A four-week course from today ends 28 March: nothing lapses, experience decides again.
    by_id, order = ranking(course_weeks=4)
    assert by_id[alice.id]["expires_during_course"] == {} and order[0]["therapist_id"] == alice.id
    # A course starting on 3 May: her training has expired by then, whatever today says.
    by_id, _ = ranking(starts_on=dt.date(2027, 5, 3))
    assert not by_id[alice.id]["eligible"] and "oncology_massage" not in by_id[alice.id]["certifications"]
    # The plan page ranks for the plan's own start and length.
    plan = CarePlan.objects.create(
        client=client,
        modality="swedish",
        scope="feet",
        pressure="light",
        session_minutes=60,
        sessions_per_week=1,
        course_weeks=4,
        reevaluation_weeks=[4],
        start_date=dt.date(2027, 4, 12),
        created_by=owner,
    )
    page = {t["therapist_id"]: t for t in plan_page(owner, plan)["ranking"]}
    assert page[alice.id]["expires_during_course"] == {"oncology_massage": "2027-04-30"}
