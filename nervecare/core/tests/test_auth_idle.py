"""Idle sessions are signed out: staff after NERVECARE_IDLE_MINUTES, portal clients after the client setting."""

import datetime

import time_machine
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone

from nervecare.core.tests.factories import UserFactory


def test_staff_are_signed_out_after_15_idle_minutes_with_a_message(therapist_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = HttpClient()
        http.force_login(therapist_user)
        assert http.get("/clients/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert http.get("/clients/").status_code == 200  # activity: the clock starts again
    with time_machine.travel(start + datetime.timedelta(minutes=28), tick=False):
        assert http.get("/clients/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=43, seconds=30), tick=False):
        response = http.get("/clients/?q=x")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=%2Fclients%2F%3Fq%3Dx"
        page = http.get(response["Location"])
        assert "You were signed out after 15 minutes without activity." in page.content.decode()
        assert http.get("/clients/").url.startswith("/accounts/login/")  # really signed out


def test_htmx_requests_count_as_activity_and_an_idle_one_reloads_the_page(therapist_user):
    start = timezone.now()
    htmx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/clients/"}
    with time_machine.travel(start, tick=False):
        http = HttpClient()
        http.force_login(therapist_user)
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        assert http.get("/clients/", headers=htmx).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=20), tick=False):
        assert http.get("/clients/", headers=htmx).status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=36), tick=False):
        response = http.get("/clients/?page=2", headers=htmx)
        assert response["HX-Redirect"] == "/accounts/login/?next=%2Fclients%2F"


def test_an_idle_api_session_gets_a_json_401(therapist_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = HttpClient()
        http.force_login(therapist_user)
        assert http.get("/api/v1/clients").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        response = http.get("/api/v1/clients")
        assert response.status_code == 401
        assert response.json()["detail"].startswith("You were signed out after 15 minutes")


@override_settings(NERVECARE_IDLE_MINUTES=5)
def test_the_staff_idle_time_is_configurable(therapist_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = HttpClient()
        http.force_login(therapist_user)
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        assert http.get("/clients/").status_code == 302


def test_portal_clients_have_the_longer_client_idle_time(clinic):
    person = UserFactory(username="rosa@example.org", clinic=clinic, role="client")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        http = HttpClient()
        http.force_login(person)
    with time_machine.travel(start + datetime.timedelta(minutes=50), tick=False):
        assert http.get("/").url == "/portal/"  # still signed in
    with time_machine.travel(start + datetime.timedelta(minutes=111), tick=False):
        response = http.get("/")
        assert response.url == "/accounts/login/?next=%2F"
