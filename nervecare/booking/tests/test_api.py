"""The public booking API offers what the page offers: the clinic and its services, therapists, free times,
a request (202, e-mailed link) and its confirmation; the same errors by field, no credentials needed."""

import datetime
import json
import re

import pytest
from django.core import mail
from django.test import Client as HttpClient

from nervecare.booking.tests.conftest import slot_value
from nervecare.clients.models import Client
from nervecare.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime.datetime(2031, 1, 7, 10, 0, tzinfo=datetime.UTC)


def _body(online, **overrides):
    return {
        "service_id": online.service.pk,
        "therapist": "any",
        "slot": slot_value(online.alice, TUESDAY_10),
        "first_name": "Nia",
        "last_name": "Okafor",
        "date_of_birth": "1958-03-14",
        "email": "nia@example.org",
        "phone": "+44 20 7946 0123",
        "consent": True,
        "consent_version": "1.0",
        **overrides,
    }


def test_a_stranger_books_through_the_api(online, django_capture_on_commit_callbacks):
    http = HttpClient()
    base = f"/api/v1/public/clinics/{online.clinic.slug}"
    clinic = http.get(base).json()
    assert [s["name"] for s in clinic["services"]] == ["Gentle first session"]
    assert clinic["consent_version"] == "1.0"
    therapists = http.get(f"{base}/services/{online.service.pk}/therapists").json()
    assert {t["name"] for t in therapists} == {"Alice", "Bob"}
    assert any("chemotherapy" in t["bio"] for t in therapists)
    times = http.get(f"{base}/services/{online.service.pk}/times?therapist={online.alice.pk}").json()
    slots = [s for d in times["days"] for s in d["slots"]]
    assert slots and {s["therapist_id"] for s in slots} == {online.alice.pk}
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(f"{base}/bookings", json.dumps(_body(online)), content_type="application/json")
    assert response.status_code == 202, response.content
    assert "token" not in response.content.decode()  # the secret is only in the e-mail
    token = re.search(r"/confirm/([^/\s]+)/", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = http.post(
            f"{base}/bookings/confirm", json.dumps({"token": token}), content_type="application/json"
        )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "booked"
    assert Appointment.objects.get(client__last_name="Okafor").status == "booked"


def test_api_errors_name_the_field_and_write_nothing(online):
    base = f"/api/v1/public/clinics/{online.clinic.slug}"
    response = HttpClient().post(
        f"{base}/bookings",
        json.dumps(_body(online, email="not an address", consent=False, date_of_birth="yesterday")),
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"email", "consent", "date_of_birth"} <= fields
    assert not Client.objects.filter(last_name="Okafor").exists()
    unknown = HttpClient().post(
        f"{base}/bookings/confirm", json.dumps({"token": "nope"}), content_type="application/json"
    )
    assert unknown.status_code == 404
    assert HttpClient().get("/api/v1/public/clinics/nowhere").status_code == 404
    assert HttpClient().get(f"{base}/services/{online.hidden.pk}/therapists").status_code == 404
    bad = HttpClient().get(f"{base}/services/{online.service.pk}/times?therapist=77777")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "therapist"
