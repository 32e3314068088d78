"""The front desk runs a day from the day view (issue 16 "Done means"): registers a client with contact details
(the intake invitation is sent), books from a therapist's free time, moves the booking to a colleague, checks
the client in (keyboard) and out (touch, on a phone), undoes the check-out, cancels another booking, puts a
client on the waitlist and prints the day list; axe-core finds no serious problem on any page."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from nervecare.web.tests.browser.conftest import DESKTOP, PHONE, log_in, shoot


def _zone_where_it_is_mid_morning() -> str:
    """A fixed-offset zone in which it is now between 10:00 and 11:00, so the day has free time left to book
    whenever the test runs (the clinic's day is its own local day)."""
    offset = 10 - timezone.now().hour
    if offset < -12:
        offset += 24
    elif offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture
def desk_day(clinic_setup):
    from nervecare.core.tests.factories import TherapistFactory, UserFactory
    from nervecare.scheduling.tests.factories import WorkingHoursFactory

    clinic = clinic_setup["clinic"]
    clinic.timezone = _zone_where_it_is_mid_morning()
    clinic.phone = "020 7946 0000"
    clinic.save()
    ben = TherapistFactory(
        user=UserFactory(username="ben", clinic=clinic, role="therapist", email="ben@riverside.example"),
        clinic=clinic,
        display_name="Ben",
        years_experience=3,
        certifications=["oncology_massage", "mld", "diabetic_foot"],
    )
    for weekday in range(7):
        WorkingHoursFactory(therapist=ben, weekday=weekday, start=datetime.time(8), end=datetime.time(19))
    UserFactory(username="frank", clinic=clinic, role="front_desk", first_name="Frank", last_name="Desk")
    return {**clinic_setup, "ben": ben, "tz": ZoneInfo(clinic.timezone)}


def _book_from_free_time(page, who: str, client_label: str) -> None:
    """On the day view, choose the therapist's first free time, then the client and service, and book."""
    page.get_by_role("link", name=re.compile(rf"^Book {who}, free")).first.click()
    page.wait_for_load_state()
    page.get_by_label("Client:", exact=True).select_option(label=client_label)
    page.get_by_label("Service:", exact=True).select_option(index=0)
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()


def test_the_desk_runs_a_day_from_the_day_view(page, browser, live_server, desk_day):
    from nervecare.clients.models import Client
    from nervecare.scheduling.models import Appointment, WaitlistEntry

    log_in(page, "frank")
    assert page.url.endswith("/day/")
    assert page.get_by_role("heading", name="Alice").is_visible()
    assert page.get_by_role("heading", name="Ben").is_visible()
    shoot(page, "desk-day-empty")

    # Register a new client with contact details only: the portal invitation goes out.
    page.get_by_role("link", name="Register a new client").first.click()
    shoot(page, "desk-register")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Halvorsen")
    page.get_by_label("Date of birth").fill("1961-07-09")
    page.get_by_label("Email (the intake invitation goes here)").fill("nora@example.org")
    page.get_by_label("Phone:", exact=True).fill("07700 900456")
    with page.expect_navigation():
        page.get_by_role("button", name="Register").click()
    assert "Nora Halvorsen is registered." in page.content()
    assert "sent to nora@example.org" in page.content()
    nora = Client.objects.get(last_name="Halvorsen")
    assert [m.to for m in mail.outbox] == [["nora@example.org"]] and "intake" in mail.outbox[0].body

    # Book Nora into Ben's first free time, from the day view.
    page.get_by_role("link", name="Day", exact=True).click()
    _book_from_free_time(page, "Ben", "Halvorsen, Nora")
    assert "/day/" in page.url and "Booked." in page.content()
    booked = Appointment.objects.get(client=nora)
    assert booked.therapist == desk_day["ben"] and booked.status == "booked"
    shoot(page, "desk-day-booked")

    # Move it to Alice, an hour later, from its page (reached from the day view).
    local = booked.starts_at.astimezone(desk_day["tz"])
    page.get_by_role("link", name=re.compile(r"Nora Halvorsen")).first.click()
    shoot(page, "desk-appointment")
    later = (local + datetime.timedelta(hours=1)).strftime("%H:%M")
    page.get_by_label("New time:", exact=True).fill(later)
    page.get_by_label("Therapist:", exact=True).select_option(label="Alice")
    with page.expect_navigation():
        page.get_by_role("button", name="Move", exact=True).click()
    assert "/day/" in page.url and "Appointment moved." in page.content()
    booked.refresh_from_db()
    assert (
        booked.therapist == desk_day["therapist"]
        and booked.starts_at.astimezone(desk_day["tz"]).strftime("%H:%M") == later
    )

    # Nora came with contact details only: her first session waits for her intake, and the desk is told why.
    page.get_by_role("button", name="Check in Nora Halvorsen").click()
    page.wait_for_load_state()
    assert "has not completed their intake yet" in page.content()
    booked.refresh_from_db()
    assert booked.status == "booked"
    # She fills it in through the portal and her therapist reviews it.
    from nervecare.portal.models import ClientIntake
    from nervecare.portal.services import client_intake_review

    client_intake_review(
        actor=desk_day["therapist"].user,
        intake=ClientIntake.objects.create(client=nora, reported={"goals": "walk further"}),
    )

    # Check in with the keyboard.
    page.goto(page.url)
    page.get_by_role("button", name="Check in Nora Halvorsen").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Checked in." in page.content()
    booked.refresh_from_db()
    assert booked.status == "checked_in"

    # Check out by touch, on a phone.
    phone = browser.new_context(
        base_url=live_server.url, viewport=PHONE, has_touch=True, is_mobile=True, bypass_csp=True
    )
    try:
        touch = phone.new_page()
        log_in(touch, "frank")
        touch.goto("/day/")
        with touch.expect_navigation():
            touch.get_by_role("button", name="Check out Nora Halvorsen").tap()
        assert "Checked out." in touch.content()
    finally:
        phone.close()
    booked.refresh_from_db()
    assert booked.status == "completed" and booked.checked_out_at is not None

    # A mistaken check-out is undone the same day.
    page.reload()
    with page.expect_navigation():
        page.get_by_role("button", name="Undo check-out Nora Halvorsen").click()
    booked.refresh_from_db()
    assert booked.status == "checked_in" and booked.checked_out_at is None

    # Book Rosa with Ben, then cancel it with a reason.
    _book_from_free_time(page, "Ben", "Diaz, Rosa")
    rosa = Appointment.objects.get(client=desk_day["client"], status="booked")
    page.get_by_role("link", name=re.compile(r"Rosa Diaz")).first.click()
    page.get_by_label("Why cancel?", exact=True).fill("Rosa called: unwell")
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel the appointment").click()
    assert "/day/" in page.url and "Appointment cancelled" in page.content()
    rosa.refresh_from_db()
    assert rosa.status == "cancelled"
    shoot(page, "desk-day-after")

    # The rooms view, the waitlist and the day list.
    page.get_by_label("Show", exact=True).select_option("room")
    with page.expect_navigation():
        page.get_by_role("button", name="Show", exact=True).click()
    assert page.get_by_role("heading", name="Room 1").is_visible()
    shoot(page, "desk-day-rooms")
    page.get_by_role("link", name="Waitlist", exact=True).first.click()
    page.get_by_label("Client:", exact=True).select_option(label="Diaz, Rosa")
    today = timezone.now().astimezone(desk_day["tz"]).date()
    page.get_by_label("From (date)").fill((today + datetime.timedelta(days=1)).isoformat())
    page.get_by_label("Until (date)").fill((today + datetime.timedelta(days=3)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the waitlist").click()
    assert "Rosa Diaz is on the waitlist." in page.content()
    assert page.get_by_role("button", name="Offer this time").count() > 0
    shoot(page, "desk-waitlist")
    entry = WaitlistEntry.objects.get(client=desk_day["client"])
    with page.expect_navigation():
        page.get_by_role("button", name="Offer this time").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Book it for Rosa").click()
    entry.refresh_from_db()
    assert entry.status == "booked"

    page.goto(f"/day/list/?therapist={desk_day['therapist'].id}&date={today.isoformat()}")
    assert "Nora Halvorsen" in page.content() and "07700 900456" in page.content()
    shoot(page, "desk-day-list")
    page.emulate_media(media="print")
    assert not page.get_by_role("navigation", name="Main").is_visible()
    assert page.get_by_role("table").is_visible()
    page.emulate_media(media="screen")
    page.set_viewport_size(DESKTOP)
