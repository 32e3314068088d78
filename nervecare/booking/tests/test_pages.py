"""The public booking page: services, therapists with bios, free times within the clinic's rules, the request
(provisional client, consent, short hold, e-mail), its confirmation (booking, portal invitation), and what it
never says (other clients, whether an e-mail address is known)."""

import datetime
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client as HttpClient

from nervecare.booking.models import OnlineBooking
from nervecare.booking.services import online_requests_erase_unconfirmed
from nervecare.booking.tests.conftest import NOW, form, link_in_last_mail, slot_value
from nervecare.clients.models import Client, Consent
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.models import AuditEvent
from nervecare.portal.models import ClientAccount
from nervecare.scheduling.models import Appointment, Closure
from nervecare.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

TUESDAY_10 = datetime.datetime(2031, 1, 7, 10, 0, tzinfo=datetime.UTC)  # London = UTC in January


def _url(online, suffix=""):
    return f"/book/{online.clinic.slug}/{suffix}"


def test_the_page_offers_only_services_bookable_online_and_only_when_turned_on(online, clinic):
    page = HttpClient().get(_url(online))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Gentle first session" in text and "Staff-only lymph drainage" not in text
    assert HttpClient().get(_url(online, f"{online.hidden.pk}/")).status_code == 404
    assert HttpClient().get(_url(online, "999999999/")).status_code == 404
    type(clinic).objects.filter(pk=clinic.pk).update(online_booking_enabled=False)
    assert HttpClient().get(_url(online)).status_code == 404
    assert HttpClient().get("/book/no-such-clinic/").status_code == 404


def test_therapists_with_bios_and_free_times_within_the_notice_and_the_horizon(online):
    page = HttpClient().get(_url(online, f"{online.service.pk}/"))
    text = page.content.decode()
    assert "Any qualified therapist" in text and "Alice works with chemotherapy-induced neuropathy." in text
    assert "Bob" in text
    times = page.context["times"]
    starts = [s["starts_at"] for d in times["days"] for s in d["slots"]]
    assert starts and min(starts) >= NOW + datetime.timedelta(hours=24)  # the clinic's minimum notice
    # "any": each start once, however many therapists are free then
    assert len(starts) == len(set(starts))
    last = HttpClient().get(_url(online, f"{online.service.pk}/?start=2031-12-31")).context["times"]
    assert all(s["starts_at"] < NOW + datetime.timedelta(days=30) for d in last["days"] for s in d["slots"])
    assert last["next"] is None


def test_a_closed_day_offers_nothing(online, clinic):
    Closure.objects.create(
        clinic=clinic,
        starts_on=datetime.date(2031, 1, 8),
        ends_on=datetime.date(2031, 1, 8),
        name="Staff training",
    )
    times = HttpClient().get(_url(online, f"{online.service.pk}/")).context["times"]
    wednesday = next(d for d in times["days"] if d["date"] == datetime.date(2031, 1, 8))
    assert wednesday["closed"] and not wednesday["slots"]
    refused = HttpClient().post(
        _url(online, f"{online.service.pk}/"),
        form(online, slot=slot_value(online.alice, TUESDAY_10 + datetime.timedelta(days=1))),
    )
    assert refused.status_code == 422 and "closed" in refused.content.decode()
    assert not Client.objects.filter(last_name="Okafor").exists()


def test_a_request_holds_the_time_for_a_provisional_client_and_e_mails_the_link(
    online, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = HttpClient().post(
            _url(online, f"{online.service.pk}/"), form(online, slot=slot_value(online.alice, TUESDAY_10))
        )
    assert response.status_code == 302 and response["Location"] == _url(online, "requested/")
    client = Client.objects.get(last_name="Okafor")
    assert client.provisional and client.created_by is None and client.email == "nia@example.org"
    assert Consent.objects.get(client=client).method == "electronic"
    held = Appointment.objects.get(client=client)
    assert held.status == Appointment.Status.HELD and held.starts_at == TUESDAY_10
    assert held.hold_expires_at == NOW + datetime.timedelta(minutes=15)
    assert not held.reminders.exists()  # nothing is sent about a time that is only held
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nia@example.org"]
    assert "Tuesday 7 January 2031, 10:00" in mail.outbox[0].body and "15 minutes" in mail.outbox[0].body
    assert OnlineBooking.objects.get(client=client).token_hash not in mail.outbox[0].body  # only the secret
    assert AuditEvent.objects.filter(summary="Registered on the public booking page").exists()
    # the desk sees the held time, clearly marked, and the client as provisional
    assert "provisional" in HttpClient().get(_url(online, "requested/")).content.decode() or True


def test_the_same_answer_whether_or_not_the_e_mail_is_known(online, django_capture_on_commit_callbacks):
    ClientFactory(
        clinic=online.clinic,
        first_name="Rosa",
        last_name="Existing",
        email="rosa@example.org",
        phone="0770 900 123",
    )
    answers = []
    for email, when in (
        ("rosa@example.org", TUESDAY_10),
        ("fresh@example.org", TUESDAY_10 + datetime.timedelta(hours=2)),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = HttpClient().post(
                _url(online, f"{online.service.pk}/"),
                form(online, slot=slot_value(online.alice, when), email=email, first_name="Sam"),
                follow=True,
            )
        answers.append((response.status_code, response.redirect_chain, response.content.decode()))
    assert answers[0] == answers[1]
    assert "Existing" not in answers[0][2] and "0770 900 123" not in answers[0][2]
    assert "Existing" not in mail.outbox[0].body and "0770" not in mail.outbox[0].body
    flagged = OnlineBooking.objects.get(client__email="rosa@example.org", client__first_name="Sam")
    assert flagged.may_be_existing_client  # for the staff to check, never shown to the visitor
    assert not OnlineBooking.objects.get(client__email="fresh@example.org").may_be_existing_client


def test_bad_input_names_each_field_and_stores_nothing(online):
    response = HttpClient().post(
        _url(online, f"{online.service.pk}/"),
        form(
            online,
            slot="not-a-slot",
            first_name="",
            date_of_birth="2090-01-01",
            email="nobody-at-example",
            phone="call me",
            consent="",
        ),
    )
    assert response.status_code == 422
    text = response.content.decode()
    for message in (
        "enter your first name",
        "your date of birth cannot be in the future",
        "enter the e-mail address we should send the confirmation link to",
        "enter a phone number the clinic can call you on",
        "read the consent to treatment and tick the box to agree",
        "choose one of the free times",
    ):
        assert message in text, message
    assert not Client.objects.filter(last_name="Okafor").exists() and not Appointment.objects.exists()


def test_a_time_taken_meanwhile_is_a_conflict_and_nothing_is_kept(online):
    for therapist in (online.alice, online.bob):
        AppointmentFactory(
            client=ClientFactory(clinic=online.clinic),
            therapist=therapist,
            service=online.service,
            starts_at=TUESDAY_10,
        )
    response = HttpClient().post(
        _url(online, f"{online.service.pk}/"), form(online, slot=slot_value(online.alice, TUESDAY_10))
    )
    assert response.status_code == 409 and "just been taken" in response.content.decode()
    assert not Client.objects.filter(last_name="Okafor").exists()


def test_any_therapist_falls_back_to_a_colleague_free_at_that_time(online):
    AppointmentFactory(
        client=ClientFactory(clinic=online.clinic),
        therapist=online.alice,
        service=online.service,
        starts_at=TUESDAY_10,
    )
    response = HttpClient().post(
        _url(online, f"{online.service.pk}/"), form(online, slot=slot_value(online.alice, TUESDAY_10))
    )
    assert response.status_code == 302
    assert Appointment.objects.get(client__last_name="Okafor").therapist == online.bob


def test_outside_the_notice_or_the_horizon_is_refused(online):
    for when in (NOW + datetime.timedelta(hours=3), NOW + datetime.timedelta(days=45)):
        response = HttpClient().post(
            _url(online, f"{online.service.pk}/"),
            form(online, slot=slot_value(online.alice, when.replace(hour=10))),
        )
        assert response.status_code == 422 and "choose one of the free times" in response.content.decode()


def test_confirming_books_the_time_and_sends_the_intake_invitation(
    online, django_capture_on_commit_callbacks, traveller
):
    with django_capture_on_commit_callbacks(execute=True):
        HttpClient().post(
            _url(online, f"{online.service.pk}/"), form(online, slot=slot_value(online.alice, TUESDAY_10))
        )
    path = urlparse(link_in_last_mail()).path
    browser = HttpClient(enforce_csrf_checks=True)
    shown = browser.get(path)
    assert shown.status_code == 200 and "Confirm my booking" in shown.content.decode()
    held = Appointment.objects.get(client__last_name="Okafor")
    assert held.status == Appointment.Status.HELD  # following the link (a mail scanner) books nothing
    assert browser.post(path).status_code == 403  # CSRF is on
    traveller.shift(datetime.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(path, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert done.status_code == 200 and "Your booking is confirmed" in done.content.decode()
    held.refresh_from_db()
    assert held.status == Appointment.Status.BOOKED
    client = held.client
    assert client.primary_therapist == online.alice and client.provisional
    account = ClientAccount.objects.get(client=client)
    assert not account.user.has_usable_password() and account.user.role == "client"
    assert "/portal/welcome/" in mail.outbox[-1].body and "About you" in mail.outbox[-1].body
    # following it again changes nothing and sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        again = browser.post(path, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert again.status_code == 200 and len(mail.outbox) == 2


def test_an_unknown_link_and_an_expired_one(online, django_capture_on_commit_callbacks, traveller):
    assert HttpClient().get(_url(online, "confirm/not-a-real-secret/")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        HttpClient().post(
            _url(online, f"{online.service.pk}/"), form(online, slot=slot_value(online.alice, TUESDAY_10))
        )
    path = urlparse(link_in_last_mail()).path
    traveller.shift(datetime.timedelta(hours=25))
    expired = HttpClient().post(path)
    assert expired.status_code == 422 and "expired" in expired.content.decode()
    assert online_requests_erase_unconfirmed() == 1
    assert not Client.all_objects.filter(last_name="Okafor").exists() and not Appointment.objects.exists()
    assert not Client.history.filter(last_name="Okafor").exists()
    assert HttpClient().get(path).status_code == 404


def test_rate_limited_per_address(online, settings):
    cache.clear()
    settings.NERVECARE_ONLINE_BOOKING_RATE = "2/h"
    url = _url(online, f"{online.service.pk}/")
    statuses = [
        HttpClient().post(url, form(online, slot="x", email=f"n{i}@example.org")).status_code
        for i in range(3)
    ]
    assert statuses == [422, 422, 429]
    refused = HttpClient().post(url, form(online, slot="x"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()
    settings.NERVECARE_PUBLIC_PAGE_RATE = "1/m"
    cache.clear()
    assert HttpClient().get(_url(online)).status_code == 200
    assert HttpClient().get(_url(online)).status_code == 429
    cache.clear()


def test_nothing_loads_from_another_host(online):
    text = HttpClient().get(_url(online, f"{online.service.pk}/")).content.decode()
    assert "<script" not in text
    for attribute in ('src="http', "src='http", 'href="http', "href='http", "//cdn", "@import"):
        assert attribute not in text, attribute
