"""The front desk's day: the day view of every therapist and room with free time, check-in only on the day and
undo within it, check-out, the desk's client search and registration (contact details only, the intake
invitation sent), the waitlist page, and the printable and emailed day list."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from nervecare.clients.models import Client
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.portal.models import ClientAccount
from nervecare.scheduling import hooks, services
from nervecare.scheduling.models import Appointment, Closure, WaitlistEntry
from nervecare.scheduling.tests.factories import (
    AppointmentFactory,
)

NOW = dt.datetime(2027, 3, 1, 8, 30, tzinfo=dt.UTC)  # Monday 08:30 in London (winter: UTC)
TODAY = dt.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def travel():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def at(hour: int, minute: int = 0, day: dt.date = TODAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)  # London is on UTC in March 1


def appointment(desk_world, hour: int, *, therapist=None, day: dt.date = TODAY, status: str = "booked"):
    return AppointmentFactory(
        client=desk_world["client"],
        therapist=therapist or desk_world["alice"],
        service=desk_world["service"],
        room=desk_world["room"],
        starts_at=at(hour, day=day),
        status=status,
    )


# --- check-in, check-out, undo --------------------------------------------------------------------------


@pytest.mark.django_db
def test_check_in_only_on_the_appointments_day(desk_world, front_desk_user):
    tomorrow = appointment(desk_world, 10, day=TODAY + dt.timedelta(days=1))
    with pytest.raises(FieldErrors) as exc:
        services.appointment_check_in(actor=front_desk_user, appointment=tomorrow)
    assert "only on the appointment's day (Tuesday 02 March 2027)" in exc.value.errors["status"]
    tomorrow.refresh_from_db()
    assert tomorrow.status == "booked" and tomorrow.checked_in_at is None


@pytest.mark.django_db
def test_check_in_out_and_undo_within_the_day(desk_world, front_desk_user, travel):
    a = appointment(desk_world, 10)
    services.appointment_check_in(actor=front_desk_user, appointment=a)
    services.appointment_check_in_undo(actor=front_desk_user, appointment=a)
    a.refresh_from_db()
    assert a.status == "booked" and a.checked_in_at is None
    services.appointment_check_in(actor=front_desk_user, appointment=a)
    services.check_out(actor=front_desk_user, appointment=a)
    a.refresh_from_db()
    assert a.status == "completed" and a.checked_out_at is not None
    services.check_out_undo(actor=front_desk_user, appointment=a)
    a.refresh_from_db()
    assert a.status == "checked_in" and a.checked_out_at is None
    services.check_out(actor=front_desk_user, appointment=a)
    summaries = list(AuditEvent.objects.filter(object_id=str(a.id)).values_list("summary", flat=True))
    assert {"Checked in", "Check-in undone", "Checked out", "Check-out undone"} <= set(summaries)
    travel.move_to(dt.datetime(2027, 3, 2, 8, 0, tzinfo=dt.UTC))  # the next morning: too late to undo
    with pytest.raises(FieldErrors) as exc:
        services.check_out_undo(actor=front_desk_user, appointment=a)
    assert "only on the appointment's day" in exc.value.errors["status"]


@pytest.mark.django_db
def test_check_out_needs_a_check_in(desk_world, front_desk_user):
    a = appointment(desk_world, 10)
    with pytest.raises(FieldErrors) as exc:
        services.check_out(actor=front_desk_user, appointment=a)
    assert "check the client in first" in exc.value.errors["status"]


@pytest.mark.django_db
def test_a_registered_check_in_guard_blocks_with_its_reason(desk_world, front_desk_user):
    a = appointment(desk_world, 10)

    def intake_incomplete(appointment: Appointment) -> str | None:
        return "the intake is not complete and reviewed yet"

    hooks.register_check_in_guard(intake_incomplete)
    try:
        with pytest.raises(FieldErrors) as exc:
            services.appointment_check_in(actor=front_desk_user, appointment=a)
    finally:
        hooks._check_in_guards.remove(intake_incomplete)
    assert exc.value.errors["status"] == "the intake is not complete and reviewed yet"
    a.refresh_from_db()
    assert a.status == "booked"


@pytest.mark.django_db
def test_check_out_hooks_run_in_its_transaction(desk_world, front_desk_user):
    a = appointment(desk_world, 10, status="checked_in")
    seen = []

    def invoice(*, actor, appointment):
        seen.append(appointment.id)
        raise RuntimeError("billing failed")

    hooks.on_checked_out(invoice)
    try:
        with pytest.raises(RuntimeError):
            services.check_out(actor=front_desk_user, appointment=a)
    finally:
        hooks._after_check_out.remove(invoice)
    a.refresh_from_db()
    assert seen == [a.id] and a.status == "checked_in" and a.checked_out_at is None


# --- the day view -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_day_view_shows_every_therapist_side_by_side_with_free_time(desk_world, front_desk_user):
    appointment(desk_world, 10)
    appointment(desk_world, 14, therapist=desk_world["ben"])
    page = login(front_desk_user).get("/day/?date=2027-03-01").content.decode()
    assert "Alice" in page and "Ben" in page
    assert "10:00–11:00 Ada Quill" in page and "14:00–15:00 Ada Quill" in page
    # Alice is free 09:00-10:00 and from 11:15 (the buffer) to 17:00; Ben 09:00-14:00 and 15:15-17:00.
    assert "Free 09:00–10:00" in page and "Free 11:15–17:00" in page
    assert "Free 09:00–14:00" in page and "Free 15:15–17:00" in page
    assert "/book/?day=2027-03-01&amp;at=11%3A15&amp;next=" in page  # the free time books from here
    assert "Check in Ada Quill" in page  # today: the check-in button is on the block


@pytest.mark.django_db
def test_day_view_hides_free_time_already_past_and_on_a_closed_day(desk_world, front_desk_user, travel):
    travel.move_to(dt.datetime(2027, 3, 1, 12, 5, tzinfo=dt.UTC))
    desk = login(front_desk_user)
    page = desk.get("/day/").content.decode()
    assert "Free 12:15–17:00" in page and "Free 09:00" not in page
    Closure.objects.create(clinic=desk_world["clinic"], starts_on=TODAY, ends_on=TODAY, name="Staff training")
    page = desk.get("/day/").content.decode()
    assert "The clinic is closed:" in page and "Staff training" in page and "Free 12:15" not in page


@pytest.mark.django_db
def test_rooms_view(desk_world, front_desk_user):
    appointment(desk_world, 10)
    page = login(front_desk_user).get("/day/?date=2027-03-01&by=room").content.decode()
    assert "Garden room" in page and "10:00–11:00 Ada Quill" in page and "Free 11:15–17:00" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["date=garbage", "date=99999-01-01", "date=1066-10-14", "by=<script>", "date="]
)
def test_day_view_survives_absurd_input(desk_world, front_desk_user, query):
    response = login(front_desk_user).get(f"/day/?{query}")
    assert response.status_code == 200 and "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_day_view_actions_check_in_and_out_and_come_back(desk_world, front_desk_user):
    a = appointment(desk_world, 10)
    desk = login(front_desk_user)
    back = "/day/?date=2027-03-01&by=therapist"
    r = desk.post(f"/appointments/{a.id}/check-in/", {"next": back})
    assert r.status_code == 302 and r["Location"] == back
    r = desk.post(f"/appointments/{a.id}/check-out/", {"next": "https://evil.example/"})
    assert r["Location"] == f"/appointments/{a.id}/"  # never to another site
    a.refresh_from_db()
    assert a.status == "completed"
    assert desk.post(f"/appointments/{a.id}/explode/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["-1", "0", "scheduling:day", "NaN", "day"])
def test_a_next_that_is_not_a_path_goes_back_to_the_appointment_not_a_500(
    desk_world, front_desk_user, target
):
    """redirect() reads a bare word as a view's name: "-1" was a 500 (NoReverseMatch) after the action ran."""
    a = appointment(desk_world, 10)
    r = login(front_desk_user).post(f"/appointments/{a.id}/check-in/", {"next": target})
    assert r.status_code == 302 and r["Location"] == f"/appointments/{a.id}/"


@pytest.mark.django_db
def test_check_out_on_the_day_view_links_to_billing_for_that_visit(
    desk_world, front_desk_user, therapist_user
):
    """Billing registers the link from above (scheduling never names billing's pages); the billing page opens
    with that visit chosen. Therapists, who do not handle money, get no link."""
    a = appointment(desk_world, 10)
    desk = login(front_desk_user)
    desk.post(f"/appointments/{a.id}/check-in/")
    day = desk.get("/day/?date=2027-03-01").content.decode()
    assert "Take payment" not in day  # checked in, not out yet
    desk.post(f"/appointments/{a.id}/check-out/")
    link = f"/billing/clients/{a.client_id}/?visit={a.id}#h-checkout"
    assert link.replace("&", "&amp;") in desk.get("/day/?date=2027-03-01").content.decode()
    assert link in desk.get(f"/appointments/{a.id}/").content.decode()
    billing = desk.get(link.split("#")[0]).content.decode()
    assert f'value="{a.id}" id="id_appointment_ids_0" checked' in billing
    assert "Take payment" not in login(therapist_user).get("/day/?date=2027-03-01").content.decode()


@pytest.mark.django_db
def test_move_to_another_therapist_from_the_appointment_page(desk_world, front_desk_user):
    a = appointment(desk_world, 10)
    r = login(front_desk_user).post(
        f"/appointments/{a.id}/",
        {"day": "2027-03-01", "at": "15:30", "therapist_id": desk_world["ben"].id, "next": "/day/"},
    )
    assert r.status_code == 302 and r["Location"] == "/day/"
    a.refresh_from_db()
    assert a.therapist == desk_world["ben"] and a.starts_at == at(15, 30)


# --- the desk's client search and registration --------------------------------------------------------------


@pytest.mark.django_db
def test_client_search_shows_contact_details_only(desk_world, front_desk_user):
    page = login(front_desk_user).get("/desk/clients/?q=ada 07700").content.decode()
    assert "Quill, Ada" in page and "07700 900123" in page
    assert "neuropathy" not in page.lower() and "diabetes" not in page.lower()
    assert "No client matches" in login(front_desk_user).get("/desk/clients/?q=zzz").content.decode()


@pytest.mark.django_db
def test_register_a_client_sends_the_intake_invitation(
    desk_world, front_desk_user, django_capture_on_commit_callbacks, settings
):
    settings.NERVECARE_PUBLIC_URL = ""  # the link is built from the request, never relative
    desk = login(front_desk_user)
    with django_capture_on_commit_callbacks(execute=True):
        r = desk.post(
            "/desk/clients/new/",
            {
                "first_name": "Nora",
                "last_name": "Halvorsen",
                "date_of_birth": "1961-07-09",
                "email": "nora@example.org",
                "phone": "07700 900456",
            },
        )
    client = Client.objects.get(last_name="Halvorsen")
    assert r.status_code == 302 and r["Location"] == f"/book/?client={client.id}"
    assert client.primary_therapist is None and client.conditions.count() == 0
    assert ClientAccount.objects.filter(client=client).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nora@example.org"]
    assert "complete your intake" in mail.outbox[0].body
    assert "http://testserver/portal/welcome/" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_registered_clients_first_session_waits_for_a_reviewed_intake(
    desk_world, front_desk_user, therapist_user, django_capture_on_commit_callbacks
):
    """Registered with contact details only: check-in is refused with the reason until the intake is complete
    and reviewed (or a therapist records the medical facts in person); later sessions are not held up."""
    from nervecare.clients.services import medical_context_update
    from nervecare.portal.models import ClientIntake
    from nervecare.portal.services import client_intake_review

    desk = login(front_desk_user)
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(
            "/desk/clients/new/",
            {
                "first_name": "Nora",
                "last_name": "Hal",
                "date_of_birth": "1961-07-09",
                "email": "n@example.org",
            },
        )
    nora = Client.objects.get(last_name="Hal")
    assert nora.provisional
    first = AppointmentFactory(
        client=nora, therapist=desk_world["alice"], service=desk_world["service"], starts_at=at(10)
    )
    r = desk.post(f"/appointments/{first.id}/check-in/", {"next": "/day/"}, follow=True)
    assert "registered with contact details only and has not completed their intake yet" in r.content.decode()
    first.refresh_from_db()
    assert first.status == "booked"
    intake = ClientIntake.objects.create(client=nora, reported={"goals": "walk"})
    with pytest.raises(FieldErrors) as waiting:
        services.appointment_check_in(actor=front_desk_user, appointment=first)
    assert "waiting for a therapist's review" in waiting.value.errors["status"]
    client_intake_review(actor=therapist_user, intake=intake)
    services.appointment_check_in(actor=front_desk_user, appointment=first)

    # Another desk-registered client whose therapist takes the medical facts in person.
    other = ClientFactory(
        clinic=desk_world["clinic"], provisional=True, primary_therapist=desk_world["alice"]
    )
    visit = AppointmentFactory(
        client=other, therapist=desk_world["ben"], service=desk_world["service"], starts_at=at(12)
    )
    with pytest.raises(FieldErrors):
        services.appointment_check_in(actor=front_desk_user, appointment=visit)
    medical_context_update(actor=therapist_user, client=other, data={})
    other.refresh_from_db()
    assert not other.provisional
    services.appointment_check_in(actor=front_desk_user, appointment=visit)


@pytest.mark.django_db
def test_register_refuses_bad_input_by_field_and_writes_nothing(desk_world, front_desk_user):
    desk = login(front_desk_user)
    r = desk.post(
        "/desk/clients/new/", {"first_name": "Nora", "last_name": "", "date_of_birth": "2999-01-01"}
    )
    page = r.content.decode()
    assert r.status_code == 422 and "This field is required" in page
    r = desk.post(
        "/desk/clients/new/", {"first_name": "Nora", "last_name": "H", "date_of_birth": "2999-01-01"}
    )
    assert r.status_code == 422 and "cannot be in the future" in r.content.decode()
    r = desk.post(
        "/desk/clients/new/", {"first_name": "Nora", "last_name": "H", "date_of_birth": "1960-01-01"}
    )
    assert r.status_code == 422 and "give an email address or a phone number" in r.content.decode()
    assert not Client.objects.filter(first_name="Nora").exists()


@pytest.mark.django_db
def test_register_without_email_says_no_invitation(desk_world, front_desk_user):
    r = login(front_desk_user).post(
        "/desk/clients/new/",
        {"first_name": "Nora", "last_name": "H", "date_of_birth": "1960-01-01", "phone": "0123"},
        follow=True,
    )
    assert "No email address: no portal invitation was sent" in r.content.decode()


# --- the waitlist ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_waitlist_page_add_match_offer_book(desk_world, front_desk_user):
    desk = login(front_desk_user)
    r = desk.post(
        "/waitlist/",
        {
            "client_id": desk_world["client"].id,
            "service_id": desk_world["service"].id,
            "therapist_id": desk_world["ben"].id,
            "earliest": "2027-03-02",
            "latest": "2027-03-02",
        },
    )
    assert r.status_code == 302
    entry = WaitlistEntry.objects.get()
    page = desk.get("/waitlist/").content.decode()
    assert "Ada Quill" in page and "Tue 2 Mar, 09:00 with Ben" in page
    r = desk.post(
        f"/waitlist/{entry.id}/offer/",
        {"therapist_id": desk_world["ben"].id, "starts_at": "2027-03-02T09:00:00+00:00"},
    )
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offered_appointment_start == at(9, day=dt.date(2027, 3, 2))
    desk.post(f"/waitlist/{entry.id}/book/")
    entry.refresh_from_db()
    assert entry.status == "booked"
    assert Appointment.objects.filter(
        therapist=desk_world["ben"], starts_at=entry.offered_appointment_start
    ).exists()


@pytest.mark.django_db
def test_a_waitlist_offer_is_emailed_and_accepted_in_the_portal(
    desk_world, front_desk_user, django_capture_on_commit_callbacks, settings
):
    """The desk's offer (and a freed time's) goes to the client by e-mail through the job queue, with the
    portal link that books it; a client without a portal account is told to call the clinic."""
    from nervecare.core.tests.factories import UserFactory

    settings.NERVECARE_PUBLIC_URL = ""
    ada = desk_world["client"]
    ada.email = "ada@example.org"
    ada.save()
    user = UserFactory(username="ada", clinic=desk_world["clinic"], role="client")
    ClientAccount.objects.create(user=user, client=ada)
    entry = WaitlistEntry.objects.create(
        client=ada,
        service=desk_world["service"],
        therapist=desk_world["ben"],
        earliest=at(0, day=dt.date(2027, 3, 2)),
        latest=at(23, day=dt.date(2027, 3, 2)),
    )
    desk = login(front_desk_user)
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(
            f"/waitlist/{entry.id}/offer/",
            {"therapist_id": desk_world["ben"].id, "starts_at": "2027-03-02T09:00:00+00:00"},
        )
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    body = mail.outbox[0].body
    assert "Tuesday 2 March 2027, 09:00 (Europe/London)" in body and "Ben" in body
    link = f"http://testserver/portal/waitlist/{entry.id}/"
    assert link in body
    assert AuditEvent.objects.filter(summary="Waitlist offer e-mailed to the client").exists()

    client_http = login(user)
    page = client_http.get(link.removeprefix("http://testserver")).content.decode()
    assert "Book this time" in page
    assert login(front_desk_user).get(link.removeprefix("http://testserver")).status_code in (302, 403, 404)
    r = client_http.post(link.removeprefix("http://testserver"))
    assert r.status_code == 302 and r["Location"] == "/portal/appointments/"
    entry.refresh_from_db()
    assert entry.status == "booked"
    assert Appointment.objects.filter(
        client=ada, therapist=desk_world["ben"], starts_at=at(9, day=dt.date(2027, 3, 2))
    ).exists()

    # A freed time offered automatically to a client without a portal account: the e-mail says to call.
    mail.outbox.clear()
    bo = ClientFactory(clinic=desk_world["clinic"], first_name="Bo", email="bo@example.org")
    WaitlistEntry.objects.create(client=bo, service=desk_world["service"], earliest=at(9), latest=at(17))
    freed = appointment(desk_world, 14)
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(actor=front_desk_user, appointment=freed, reason="unwell")
    offer = next(m for m in mail.outbox if m.to == ["bo@example.org"])
    assert "please call the clinic on 020 7946 0000" in offer.body and "/portal/" not in offer.body


@pytest.mark.django_db
def test_waitlist_offer_outside_the_window_is_refused(desk_world, front_desk_user):
    entry = WaitlistEntry.objects.create(
        client=desk_world["client"],
        service=desk_world["service"],
        earliest=at(9, day=dt.date(2027, 3, 2)),
        latest=at(17, day=dt.date(2027, 3, 2)),
    )
    r = login(front_desk_user).post(
        f"/waitlist/{entry.id}/offer/",
        {"therapist_id": desk_world["ben"].id, "starts_at": "2027-03-09T09:00:00+00:00"},
        follow=True,
    )
    assert "outside the time the client is waiting for" in r.content.decode()
    entry.refresh_from_db()
    assert entry.status == "waiting"
    assert (
        login(front_desk_user).post(f"/waitlist/{entry.id}/offer/", {"starts_at": "nonsense"}).status_code
        == 302
    )


@pytest.mark.django_db
def test_a_cancellation_offers_the_time_to_the_waitlist(desk_world, front_desk_user):
    a = appointment(desk_world, 14)
    other = ClientFactory(clinic=desk_world["clinic"], first_name="Bo")
    entry = WaitlistEntry.objects.create(
        client=other, service=desk_world["service"], earliest=at(9), latest=at(17)
    )
    services.appointment_cancel(actor=front_desk_user, appointment=a, reason="unwell")
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offered_appointment_start == a.starts_at
    page = login(front_desk_user).get("/waitlist/").content.decode()
    assert "Offered:" in page and "Book it for Bo" in page


# --- the day list ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_day_list_prints_and_emails_through_the_queue(
    desk_world, front_desk_user, django_capture_on_commit_callbacks
):
    appointment(desk_world, 10, therapist=desk_world["ben"])
    desk = login(front_desk_user)
    page = desk.get(f"/day/list/?therapist={desk_world['ben'].id}&date=2027-03-01").content.decode()
    assert "Ben — Monday 1 March 2027" in page and "07700 900123" in page and "day.css" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = desk.post(
            "/day/list/email/", {"therapist": desk_world["ben"].id, "date": "2027-03-01"}, follow=True
        )
    assert "on its way to ben@riverside.example" in r.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ben@riverside.example"]
    assert "10:00–11:00  Ada Quill (07700 900123)" in mail.outbox[0].body


@pytest.mark.django_db
def test_day_list_email_bad_input(desk_world, front_desk_user, therapist_user):
    desk = login(front_desk_user)
    r = desk.post("/day/list/email/", {"therapist": "abc", "date": "2027-13-45"}, follow=True)
    assert r.status_code == 200 and "Choose a therapist and a date." in r.content.decode()
    therapist_user.email = ""
    therapist_user.save()
    r = desk.post(
        "/day/list/email/", {"therapist": desk_world["alice"].id, "date": "2027-03-01"}, follow=True
    )
    assert "Alice has no email address" in r.content.decode()
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_times_are_shown_in_the_clinics_zone(desk_world, front_desk_user, django_capture_on_commit_callbacks):
    clinic = desk_world["clinic"]
    clinic.timezone = "America/New_York"  # UTC-5 in March 1
    clinic.save()
    AppointmentFactory(
        client=desk_world["client"],
        therapist=desk_world["ben"],
        service=desk_world["service"],
        starts_at=dt.datetime(2027, 3, 1, 15, 0, tzinfo=dt.UTC),
    )
    desk = login(front_desk_user)
    page = desk.get("/day/?date=2027-03-01").content.decode()
    assert "10:00–11:00 Ada Quill" in page and "Free 11:15–17:00" in page
    listing = desk.get(f"/day/list/?therapist={desk_world['ben'].id}&date=2027-03-01").content.decode()
    assert "10:00–11:00" in listing
    with django_capture_on_commit_callbacks(execute=True):
        desk.post("/day/list/email/", {"therapist": desk_world["ben"].id, "date": "2027-03-01"})
    assert "10:00–11:00  Ada Quill" in mail.outbox[0].body
