"""iCalendar feeds: the therapist's private feed, the client's .ics, feed URL tokens and who may use them."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test import override_settings
from icalendar import Calendar

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import TherapistFactory, UserFactory
from nervecare.scheduling.calendar import calendar_token_create, client_ics, therapist_feed
from nervecare.scheduling.models import CalendarToken
from nervecare.scheduling.tests.factories import AppointmentFactory, RoomFactory, ServiceFactory
from nervecare.screening.models import SafetyFlag

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
START = datetime.datetime(2026, 3, 10, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice(therapist_user, clinic):
    clinic.timezone = "America/New_York"
    clinic.save()
    return therapist_user.therapist


@pytest.fixture
def jane(clinic):
    return ClientFactory(
        clinic=clinic,
        first_name="Jane",
        last_name="Doe",
        email="jane@example.org",
        phone="+1 555 0100",
        goals="Walk to the shops without burning feet",
    )


@pytest.fixture
def session(traveller, alice, jane):
    """Alice's 60-minute session with Jane on Tuesday 10 March, in Room 2."""
    service = ServiceFactory(clinic=alice.clinic, name="60-min Swedish massage")
    room = RoomFactory(clinic=alice.clinic, name="Room 2")
    return AppointmentFactory(client=jane, therapist=alice, service=service, room=room, starts_at=START)


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def feed_path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def get_feed(url: str, **headers):
    return HttpClient().get(feed_path(url), headers=headers)


def new_feed_url(therapist) -> str:
    _token, plain = calendar_token_create(therapist=therapist, actor=None)
    return f"/api/v1/calendars/therapists/{plain}.ics"


# --- The therapist's feed --------------------------------------------------------------------------------


def test_feed_has_the_required_calendar_and_event_properties(session, alice):
    cal = parse(therapist_feed(alice))
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == "-//NerveCare//Scheduling//EN"
    assert str(cal["X-WR-CALNAME"]) == "NerveCare: Alice (Riverside)"
    assert str(cal["X-WR-TIMEZONE"]) == "America/New_York"
    # Both refresh hints are RFC 5545 durations (3.3.6), which is what Outlook and Apple Calendar parse
    # (issue 19 point 14: X-PUBLISHED-TTL was written "0:15:00").
    raw = therapist_feed(alice).decode()
    assert "\r\nX-PUBLISHED-TTL:PT15M\r\n" in raw
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in raw

    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"appointment-{session.pk}@nervecare"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + datetime.timedelta(minutes=60)
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
    assert event["DTSTART"].to_ical() == b"20260310T140000Z"  # UTC, no VTIMEZONE needed
    assert event.decoded("DTSTAMP") == NOW
    assert event.decoded("LAST-MODIFIED") == NOW
    assert str(event["SUMMARY"]) == "60-min Swedish massage – Jane D."
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Room 2, Riverside"
    assert int(event["SEQUENCE"]) == 0


def test_feed_follows_a_move_with_a_new_start_and_a_higher_sequence(session, alice, traveller):
    before = events(parse(therapist_feed(alice)))[f"appointment-{session.pk}@nervecare"]
    traveller.shift(datetime.timedelta(hours=2))
    session.starts_at += datetime.timedelta(days=1)
    session.ends_at += datetime.timedelta(days=1)
    session.blocked_until += datetime.timedelta(days=1)
    session.save()

    after = events(parse(therapist_feed(alice)))[f"appointment-{session.pk}@nervecare"]
    assert after.decoded("DTSTART") == START + datetime.timedelta(days=1)
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
    assert str(after["STATUS"]) == "CONFIRMED"


def test_a_cancelled_appointment_stays_as_cancelled_for_30_days(session, alice, traveller):
    traveller.shift(datetime.timedelta(hours=1))
    session.status = "cancelled"
    session.cancelled_at = NOW + datetime.timedelta(hours=1)
    session.save()

    event = events(parse(therapist_feed(alice)))[f"appointment-{session.pk}@nervecare"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 3600

    assert therapist_feed(alice, now=NOW + datetime.timedelta(days=29))  # still there
    assert len(parse(therapist_feed(alice, now=NOW + datetime.timedelta(days=29))).walk("VEVENT")) == 1
    assert parse(therapist_feed(alice, now=NOW + datetime.timedelta(days=31))).walk("VEVENT") == []


def test_feed_holds_only_this_therapists_appointments(session, alice, junior_therapist_user, jane):
    # Another client: one client cannot be in two sessions at once (the database refuses it on PostgreSQL).
    other = ClientFactory(clinic=jane.clinic)
    AppointmentFactory(client=other, therapist=junior_therapist_user.therapist, starts_at=START)
    assert list(events(parse(therapist_feed(alice)))) == [f"appointment-{session.pk}@nervecare"]


def test_feed_has_no_clinical_or_identifying_data(session, alice, jane):
    ConditionFactory(client=jane, cause="chemotherapy", notes="Burning in both feet since cycle 3")
    MedicalContextFactory(client=jane, on_anticoagulants=True)
    SafetyFlag.objects.create(
        client=jane,
        rule_id="anticoagulants_bleeding",
        rules_version="1",
        title="Bleeding and bruising risk",
        level="modify",
        area="whole body",
        reason="On anticoagulants",
        actions=["light pressure"],
        source="clinical reference",
        raised_at=NOW,
        last_checked_at=NOW,
    )
    session.due_measures = ["pgic", "mnsi_history"]
    session.notes_for_client = "Bring your glucose meter"
    session.save()

    text = therapist_feed(alice).decode() + client_ics(jane).decode()
    for private in (
        "Doe",
        "jane@example.org",
        "555",
        "1960",
        "Walk to the shops",
        "chemotherapy",
        "Chemotherapy",
        "Burning",
        "anticoagulant",
        "Bleeding",
        "pgic",
        "mnsi",
        "glucose",
        "neuropath",
    ):
        assert private not in text, private


# --- The feed URL ----------------------------------------------------------------------------------------


def test_the_feed_url_needs_no_sign_in_and_serves_text_calendar(session, alice):
    r = HttpClient().get(new_feed_url(alice))
    assert r.status_code == 200
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    assert r["Cache-Control"] == "private, no-cache"
    assert f"appointment-{session.pk}@nervecare" in events(parse(r.content))


def test_the_feed_answers_304_when_unchanged(session, alice):
    url = new_feed_url(alice)
    first = HttpClient().get(url)
    again = HttpClient().get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    session.starts_at += datetime.timedelta(hours=1)
    session.ends_at += datetime.timedelta(hours=1)
    session.blocked_until += datetime.timedelta(hours=1)
    session.save()
    changed = HttpClient().get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200


def test_the_feed_costs_two_queries_however_many_appointments(
    session, alice, jane, django_assert_num_queries
):
    for day in range(1, 11):
        AppointmentFactory(client=jane, therapist=alice, starts_at=START + datetime.timedelta(days=day))
    url = new_feed_url(alice)
    with django_assert_num_queries(2):  # the token (with therapist and clinic), the appointments
        r = HttpClient().get(url)
    assert len(parse(r.content).walk("VEVENT")) == 11


@pytest.mark.parametrize(
    "path", ["/api/v1/calendars/therapists/nope.ics", "/api/v1/calendars/therapists/.ics"]
)
def test_an_unknown_token_is_404(session, path):
    r = HttpClient().get(path)
    assert r.status_code == 404
    assert r.json()["detail"]


def test_a_revoked_token_is_404(session, alice, api):
    url = new_feed_url(alice)
    assert api.delete(f"/api/v1/therapists/{alice.pk}/calendar-token").status_code == 204
    r = HttpClient().get(url)
    assert r.status_code == 404
    assert r.json() == {"detail": "No such calendar feed.", "errors": []}


def test_a_deactivated_therapist_feed_is_404(session, alice):
    url = new_feed_url(alice)
    alice.user.is_active = False
    alice.user.save()
    assert HttpClient().get(url).status_code == 404


def test_only_a_hash_of_the_token_is_stored(alice):
    _token, plain = calendar_token_create(therapist=alice, actor=None)
    assert not CalendarToken.objects.filter(token=plain).exists()
    assert CalendarToken.objects.get().token != plain


# --- Managing the feed URL -------------------------------------------------------------------------------


def test_therapist_creates_her_feed_url(session, alice, api, therapist_user):
    r = api.post(f"/api/v1/therapists/{alice.pk}/calendar-token")
    assert r.status_code == 201
    body = r.json()
    assert body["url"].startswith("http://testserver/api/v1/calendars/therapists/ncf_")
    assert body["url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["url"].removeprefix("http://")
    assert get_feed(body["url"]).status_code == 200
    assert AuditEvent.objects.filter(actor=therapist_user, object_type="scheduling.calendartoken").exists()


@override_settings(NERVECARE_PUBLIC_URL="https://care.example.org/")
def test_the_feed_url_uses_the_public_url_when_set(alice, api):
    r = api.post(f"/api/v1/therapists/{alice.pk}/calendar-token")
    assert r.json()["url"].startswith("https://care.example.org/api/v1/calendars/therapists/ncf_")


def test_a_new_feed_url_revokes_the_previous_one(session, alice, api):
    first = api.post(f"/api/v1/therapists/{alice.pk}/calendar-token").json()["url"]
    second = api.post(f"/api/v1/therapists/{alice.pk}/calendar-token").json()["url"]
    assert get_feed(first).status_code == 404
    assert get_feed(second).status_code == 200


def test_clinic_admin_may_manage_a_therapists_feed_url(alice, clinic):
    admin = UserFactory(clinic=clinic, role="admin")
    assert login(admin).post(f"/api/v1/therapists/{alice.pk}/calendar-token").status_code == 201
    assert login(admin).delete(f"/api/v1/therapists/{alice.pk}/calendar-token").status_code == 204


@pytest.mark.parametrize("method", ["post", "delete"])
def test_another_therapist_and_the_front_desk_get_403(alice, junior_therapist_user, front_desk_user, method):
    for user in (junior_therapist_user, front_desk_user):
        r = getattr(login(user), method)(f"/api/v1/therapists/{alice.pk}/calendar-token")
        assert r.status_code == 403, user
        assert r.json()["detail"]
    assert not CalendarToken.objects.exists()


@pytest.mark.parametrize("method", ["post", "delete"])
def test_another_clinics_therapist_gets_404(alice, other_clinic_user, method):
    r = getattr(login(other_clinic_user), method)(f"/api/v1/therapists/{alice.pk}/calendar-token")
    assert r.status_code == 404


def test_a_client_user_gets_403_and_anonymous_401(alice, clinic):
    client_user = UserFactory(clinic=clinic, role="client")
    assert login(client_user).post(f"/api/v1/therapists/{alice.pk}/calendar-token").status_code == 403
    assert HttpClient().post(f"/api/v1/therapists/{alice.pk}/calendar-token").status_code == 401


def test_unknown_therapist_is_404(api):
    assert api.post("/api/v1/therapists/999999/calendar-token").status_code == 404


def test_calendar_token_command_prints_a_working_url(session, alice):
    out, err = io.StringIO(), io.StringIO()
    call_command("calendar_token", "alice", stdout=out, stderr=err)
    url = out.getvalue().strip()
    assert url.startswith("http://127.0.0.1:8000/api/v1/calendars/therapists/ncf_")
    assert get_feed(url).status_code == 200
    assert "private" in err.getvalue()

    call_command("calendar_token", "alice", "--revoke", stdout=io.StringIO())
    assert get_feed(url).status_code == 404


def test_calendar_token_command_refuses_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no therapist"):
        call_command("calendar_token", "nobody", stdout=io.StringIO())


# --- The client's .ics -----------------------------------------------------------------------------------


def test_client_ics_lists_upcoming_appointments_only(session, alice, jane, api):
    past = AppointmentFactory(client=jane, therapist=alice, starts_at=NOW - datetime.timedelta(days=7))
    cancelled = AppointmentFactory(
        client=jane, therapist=alice, starts_at=START + datetime.timedelta(days=7), status="cancelled"
    )
    r = api.get(f"/api/v1/clients/{jane.pk}/appointments.ics")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/calendar; charset=utf-8"
    assert r["Content-Disposition"] == 'attachment; filename="appointments.ics"'
    cal = parse(r.content)
    assert str(cal["X-WR-CALNAME"]) == "Appointments at Riverside"
    uids = events(cal)
    assert list(uids) == [f"appointment-{session.pk}@nervecare"]
    assert f"appointment-{past.pk}@nervecare" not in uids
    assert f"appointment-{cancelled.pk}@nervecare" not in uids
    event = uids[f"appointment-{session.pk}@nervecare"]
    assert str(event["SUMMARY"]) == "60-min Swedish massage with Alice"
    assert event.decoded("DTSTART") == START


def test_front_desk_may_download_a_clients_ics(session, jane, front_desk_user):
    assert login(front_desk_user).get(f"/api/v1/clients/{jane.pk}/appointments.ics").status_code == 200


def test_another_clinics_client_ics_is_404(session, jane, other_clinic_user, api, other_clinic):
    assert login(other_clinic_user).get(f"/api/v1/clients/{jane.pk}/appointments.ics").status_code == 404
    elsewhere = ClientFactory(clinic=other_clinic)
    AppointmentFactory(client=elsewhere, therapist=TherapistFactory(user__clinic=other_clinic))
    r = api.get(f"/api/v1/clients/{elsewhere.pk}/appointments.ics")
    assert r.status_code == 404
    assert r.json() == {"detail": "No such client.", "errors": []}


def test_client_ics_needs_sign_in_and_a_staff_role(session, jane, clinic):
    assert HttpClient().get(f"/api/v1/clients/{jane.pk}/appointments.ics").status_code == 401
    client_user = UserFactory(clinic=clinic, role="client")
    assert login(client_user).get(f"/api/v1/clients/{jane.pk}/appointments.ics").status_code == 403
