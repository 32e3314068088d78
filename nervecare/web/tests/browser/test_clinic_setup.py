"""Issue 16, "done means" (set-up): a new owner, from `nervecare clinic create`, sets up the clinic with two
therapists, services, rooms, hours and a bank holiday entirely in the pages, in Chromium, axe-clean."""

import datetime
import io
import re

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from nervecare.web.tests.browser.conftest import log_in, shoot

PASSWORD = "owner-new-password-2027"


def _click(page, name: str) -> None:
    button = page.get_by_role("button", name=name, exact=True)
    assert button.count() == 1, (name, button.count(), page.url)
    button.focus()  # leaving the field first shows its inline message (the layout moves), then submit
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _invite(page, first: str, last: str, email: str) -> None:
    page.goto("/setup/staff/")
    page.get_by_role("link", name="Invite a colleague").click()
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Role").select_option("therapist")
    _click(page, "Send the invitation")
    assert "Invited: has not chosen a password yet" in page.content()


def test_new_owner_sets_up_the_clinic_in_the_pages(page, live_server, transactional_db):
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.scheduling.models import Closure, Room, Service, WorkingHours

    out = io.StringIO()
    call_command(
        "clinic",
        "create",
        "--name",
        "Harbour Massage",
        "--admin-username",
        "owner",
        "--admin-email",
        "owner@example.org",
        "--base-url",
        live_server.url,
        stdout=out,
    )
    link = re.search(r"http\S+/invite/\S+/", out.getvalue()).group(0)

    # The first admin chooses a password with the one-time link, then signs in (and enrols the second step).
    page.goto(link)
    shoot(page, "setup-invite-accept")
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    _click(page, "Set my password")
    log_in(page, "owner", PASSWORD)
    page.goto("/")
    page.get_by_role("link", name="Set-up").first.click()
    shoot(page, "setup-home")

    # Clinic details and booking rules
    page.get_by_role("link", name="Clinic and booking rules").click()
    page.get_by_label("Address").fill("2 Quay Street\nCork")
    page.get_by_label("Phone").fill("+353 21 000 0000")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Currency").select_option("GBP")
    page.get_by_label("Cancellation notice (hours)").fill("-5")
    _click(page, "Save")
    error = page.locator("#id_cancellation_notice_hours").locator("xpath=..").inner_text()
    assert "greater than or equal to 0" in error  # refused by the field, nothing saved
    assert Clinic.objects.get(slug="harbour-massage").country == ""
    shoot(page, "setup-clinic-error")
    page.get_by_label("Cancellation notice (hours)").fill("48")
    _click(page, "Save")
    page.get_by_label("Region for public holidays (optional)").fill("ENG")
    _click(page, "Save")
    clinic = Clinic.objects.get(slug="harbour-massage")
    assert (clinic.country, clinic.subdivision, clinic.currency, clinic.cancellation_notice_hours) == (
        "GB",
        "ENG",
        "GBP",
        48,
    )
    shoot(page, "setup-clinic")

    page.get_by_role("link", name="Safety thresholds").click()
    assert "Ng et al" in page.content()  # each threshold with its source
    shoot(page, "setup-thresholds")

    # Two therapists, invited by email
    _invite(page, "Maria", "Lopez", "maria@example.org")
    _invite(page, "Tom", "Reyes", "tom@example.org")
    assert {m.to[0] for m in mail.outbox} >= {"maria@example.org", "tom@example.org"}
    page.goto("/setup/staff/")
    shoot(page, "setup-staff")
    maria = Therapist.objects.get(user__email="maria@example.org")
    tom = Therapist.objects.get(user__email="tom@example.org")

    # Maria's profile: experience and a certification with its expiry
    page.goto(f"/setup/therapists/{maria.id}/")
    page.get_by_label("Years of experience").fill("6")
    page.get_by_label("Oncology massage training", exact=True).check()
    page.get_by_label("Oncology massage training: valid until (optional)").fill("2030-06-30")
    page.get_by_label("Short bio for the booking page").fill("Gentle oncology massage.")
    shoot(page, "setup-therapist-profile")
    _click(page, "Save")
    maria.refresh_from_db()
    assert maria.certification_expiry == {"oncology_massage": "2030-06-30"} and maria.years_experience == 6

    # Services
    for name, minutes in (("60-min Swedish", "60"), ("30-min foot care", "30")):
        page.goto("/setup/services/")
        page.get_by_role("link", name="Add a service").click()
        page.get_by_label("Name").fill(name)
        page.get_by_label("Length (minutes)").fill(minutes)
        page.get_by_label("Bookable online by new clients").check()
        _click(page, "Save")
    shoot(page, "setup-services")
    assert set(Service.objects.filter(clinic=clinic).values_list("name", flat=True)) == {
        "60-min Swedish",
        "30-min foot care",
    }

    # Rooms
    page.get_by_role("link", name="Rooms").first.click()
    for name in ("Room 1", "Room 2"):
        page.get_by_label("Room name").fill(name)
        _click(page, "Add the room")
    shoot(page, "setup-rooms")
    assert Room.objects.filter(clinic=clinic).count() == 2

    # Weekly hours: Maria every Monday and alternate Fridays; Tom on Tuesdays
    page.goto(f"/setup/therapists/{maria.id}/hours/")
    page.locator("#id_hours-0-weekday").select_option("0")
    page.locator("#id_hours-0-start").fill("09:00")
    page.locator("#id_hours-0-end").fill("17:00")
    page.locator("#id_hours-1-weekday").select_option("4")
    page.locator("#id_hours-1-start").fill("09:00")
    page.locator("#id_hours-1-end").fill("13:00")
    page.locator("#id_hours-1-every_weeks").select_option("2")
    page.locator("#id_hours-1-anchor_date").fill("2030-01-04")
    shoot(page, "setup-hours")
    _click(page, "Save the weekly hours")
    page.goto(f"/setup/therapists/{tom.id}/hours/")
    page.locator("#id_hours-0-weekday").select_option("1")
    page.locator("#id_hours-0-start").fill("10:00")
    page.locator("#id_hours-0-end").fill("18:00")
    _click(page, "Save the weekly hours")
    assert WorkingHours.objects.filter(therapist=maria).count() == 2
    assert WorkingHours.objects.get(therapist=maria, weekday=4).every_weeks == 2
    assert WorkingHours.objects.filter(therapist=tom).count() == 1

    # Closures: the year's bank holidays from the holiday calendar, and a day of staff training
    year = timezone.localdate().year + 1
    page.goto("/setup/closures/")
    page.get_by_label("Year").fill(str(year))
    _click(page, "Import the public holidays")
    page.get_by_label("Reason").fill("Staff training")
    page.get_by_label("First closed day").fill(f"{year}-09-14")
    _click(page, "Add the closure")
    shoot(page, "setup-closures")
    christmas = Closure.objects.get(clinic=clinic, starts_on=datetime.date(year, 12, 25))
    assert christmas.source == "holiday"
    assert Closure.objects.filter(clinic=clinic, name="Staff training", source="manual").exists()
    owner = User.objects.get(username="owner")
    assert owner.clinic_id == clinic.id and not owner.is_superuser and not owner.is_staff
