"""`nervecare demo`: a realistic clinic, deterministic, and idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from nervecare.clients.models import Client, Condition
from nervecare.core.models import Therapist, User
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment, Closure
from nervecare.scheduling.selectors import clinic_tz, closed_days
from nervecare.screening.models import InstrumentResponse, SafetyFlag


def snapshot():
    return {
        "users": User.objects.count(),
        "clients": Client.objects.count(),
        "responses": InstrumentResponse.objects.count(),
        "flags": SafetyFlag.objects.count(),
        "plans": CarePlan.objects.count(),
        "appointments": Appointment.objects.count(),
        "closures": Closure.objects.count(),
        "names": sorted(Client.objects.values_list("last_name", flat=True)),
    }


@pytest.mark.django_db
def test_demo_seeds_a_realistic_clinic_and_a_second_run_adds_nothing():
    out = StringIO()
    call_command("demo", stdout=out)
    assert "nervecare-demo" in out.getvalue() and "maria" in out.getvalue()  # says how to log in
    first = snapshot()
    assert 25 <= first["clients"] <= 35
    assert set(Condition.objects.values_list("type", flat=True)) == {
        "peripheral",
        "focal",
        "cranial",
        "autoimmune",
    }
    assert Condition.objects.values("cause").distinct().count() >= 6
    certs = {c for t in Therapist.objects.all() for c in t.certifications}
    assert {"oncology_massage", "mld"} <= certs
    assert len({t.years_experience for t in Therapist.objects.all()}) >= 3
    levels = set(SafetyFlag.objects.filter(status="open").values_list("level", flat=True))
    assert {"stop", "clearance", "modify", "caution"} <= levels
    assert (
        CarePlan.objects.filter(status="active").exists()
        and CarePlan.objects.filter(status="proposed").exists()
    )
    assert (
        Appointment.objects.filter(status="completed").exists()
        and Appointment.objects.filter(status="booked").exists()
    )
    # Closed days are visible from the start (a training day, public holidays), and never booked.
    assert {"manual", "holiday"} <= set(Closure.objects.values_list("source", flat=True))
    booked = Appointment.objects.filter(status="booked").select_related("clinic")
    clinic = booked[0].clinic
    tz = clinic_tz(clinic)
    closed = closed_days(
        clinic,
        min(Closure.objects.values_list("starts_on", flat=True)),
        max(Closure.objects.values_list("ends_on", flat=True)),
    )
    assert closed and not [a for a in booked if a.starts_at.astimezone(tz).date() in closed]
    call_command("demo", stdout=StringIO())
    assert snapshot() == first


@pytest.mark.django_db
def test_demo_therapists_see_their_own_clients_and_the_shared_ones():
    from nervecare.clients.models import ClientShare
    from nervecare.clients.selectors import clients_visible_to

    call_command("demo", stdout=StringIO())
    everyone = Client.objects.count()
    owner = User.objects.get(username="owner")
    assert clients_visible_to(owner).count() == everyone
    for username in ("maria", "james", "lena"):
        user = User.objects.get(username=username)
        seen = clients_visible_to(user)
        assert 0 < seen.count() < everyone, username
        assert seen.filter(primary_therapist__user=user).exists()
    tom = User.objects.get(username="tom")
    shared = ClientShare.objects.filter(therapist__user=tom)
    assert shared.count() == 2
    assert set(shared.values_list("client", flat=True)) <= set(
        clients_visible_to(tom).values_list("pk", flat=True)
    )
    assert not clients_visible_to(User.objects.get(username="desk")).exists()


@pytest.mark.django_db
def test_demo_clinic_takes_online_bookings_for_services_without_a_special_training(client):
    """From `./dev start` a visitor can try the public booking page (issue 16 §4)."""
    call_command("demo", stdout=StringIO())
    clinic = Appointment.objects.select_related("clinic").first().clinic
    page = client.get(f"/book/{clinic.slug}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "60-min Swedish massage" in text
    assert "manual lymphatic drainage" not in text  # needs the MLD training: booked by the clinic
