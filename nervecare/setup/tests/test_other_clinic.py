"""An admin of clinic A cannot touch clinic B's set-up by any route: every set-up page and API operation with
B's objects answers 404 (or works on A's own clinic for clinic-wide routes) and B is unchanged."""

import datetime as dt
import json

import pytest

from nervecare.conftest import login
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.tests.factories import TherapistFactory, UserFactory
from nervecare.scheduling.models import AvailabilityException, Closure, Room, Service
from nervecare.scheduling.tests.factories import ServiceFactory
from nervecare.setup.tests.test_permission_walk import setup_routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic_b(other_clinic):
    admin = UserFactory(username="bert", clinic=other_clinic, role="admin")
    therapist = TherapistFactory(
        user=UserFactory(username="bianca", clinic=other_clinic), clinic=other_clinic
    )
    service = ServiceFactory(clinic=other_clinic, code="b-svc", name="B service")
    room = Room.objects.create(clinic=other_clinic, name="B room")
    closure = Closure.objects.create(
        clinic=other_clinic, starts_on=dt.date(2030, 1, 2), ends_on=dt.date(2030, 1, 2), name="B day"
    )
    off = AvailabilityException.objects.create(
        therapist=therapist,
        kind="time_off",
        starts_at=dt.datetime(2030, 1, 3, 9, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 1, 3, 12, tzinfo=dt.UTC),
    )
    ids = {
        "staff_id": therapist.user_id,
        "therapist_id": therapist.id,
        "service_id": service.id,
        "room_id": room.id,
        "closure_id": closure.id,
        "exception_id": off.id,
        "action": "deactivate",
        "uidb64": "MQ",
        "token": "x",
    }
    return {"clinic": other_clinic, "admin": admin, "therapist": therapist, "ids": ids}


def _snapshot(clinic: Clinic):
    return (
        tuple(Clinic.objects.filter(pk=clinic.pk).values_list("name", "currency", "country")),
        tuple(User.objects.filter(clinic=clinic).order_by("pk").values_list("pk", "is_active", "password")),
        tuple(
            Therapist.objects.filter(clinic=clinic).values_list(
                "pk", "display_name", "certifications", "active"
            )
        ),
        tuple(Service.objects.filter(clinic=clinic).values_list("pk", "name", "minutes", "active")),
        tuple(Room.objects.filter(clinic=clinic).values_list("pk", "name", "active")),
        tuple(Closure.objects.filter(clinic=clinic).values_list("pk", "starts_on")),
        tuple(AvailabilityException.objects.filter(therapist__clinic=clinic).values_list("pk", "starts_at")),
    )


def test_admin_of_a_cannot_touch_b_by_any_route(owner, clinic_b):
    http = login(owner)
    before = _snapshot(clinic_b["clinic"])
    problems = []
    for method, url, has_object in setup_routes(clinic_b["ids"]):
        if "/invite/" in url:
            continue
        body = {
            "name": "Hijacked",
            "minutes": 30,
            "year": 2030,
            "starts_on": "2030-02-01",
            "email": "x@example.org",
            "first_name": "X",
            "role": "admin",
            "currency": "EUR",
            "display_name": "Hijacked",
        }
        if url.startswith("/api/"):
            if "/therapists/" in url:
                body = {"display_name": "Hijacked"}
            elif "/services/" in url or "/rooms/" in url:
                body = {"name": "Hijacked"}
            response = http.generic(method, url, data=json.dumps(body), content_type="application/json")
        elif method == "GET":
            response = http.get(url)
        else:
            response = http.post(url, body)
        if has_object and response.status_code != 404:
            problems.append(f"{method} {url}: {response.status_code}")
        text = response.content.decode("utf-8", "replace")
        if "bianca" in text or "B service" in text or "B room" in text or "B day" in text:
            problems.append(f"{method} {url}: shows clinic B's data")
    assert not problems, problems
    assert _snapshot(clinic_b["clinic"]) == before
