"""A stranger books online and completes the intake, in Chromium (issue 16, "Done means"): the clinic's public
page, a service, a therapist with their bio, a free time, contact details and consent; the e-mailed link
confirms it; the invitation's link sets a password; the portal's intake is filled in. Every page is checked
with axe at desktop and phone widths."""

import datetime
import re

import pytest
from django.core import mail

from nervecare.web.tests.browser.conftest import shoot


@pytest.fixture
def online_clinic(transactional_db):
    from nervecare.clients.tests.factories import ConsentTextFactory
    from nervecare.core.tests.factories import ClinicFactory, TherapistFactory, UserFactory
    from nervecare.scheduling.tests.factories import ServiceFactory, WorkingHoursFactory

    clinic = ClinicFactory(
        name="Riverside",
        slug="riverside",
        timezone="Europe/London",
        phone="020 7946 0000",
        online_booking_enabled=True,
        min_notice_hours=24,
        booking_horizon_days=60,
    )
    ConsentTextFactory(clinic=clinic, version="1.0")
    for name, bio in (
        ("Alice", "Alice has eight years of massage for people living with neuropathy."),
        ("Bob", "Bob trained in gentle Swedish massage."),
    ):
        user = UserFactory(
            username=name.lower(), clinic=clinic, role="therapist", email=f"{name.lower()}@riverside.example"
        )
        therapist = TherapistFactory(user=user, clinic=clinic, display_name=name, years_experience=8, bio=bio)
        for weekday in range(7):
            WorkingHoursFactory(
                therapist=therapist, weekday=weekday, start=datetime.time(9), end=datetime.time(17)
            )
    ServiceFactory(clinic=clinic, name="Gentle first session (60 min)", bookable_online=True, minutes=60)
    ServiceFactory(clinic=clinic, name="Staff-only follow-up", bookable_online=False)
    return clinic


def _link(pattern: str) -> str:
    match = re.search(pattern, mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def test_a_stranger_books_online_and_completes_the_intake(page, online_clinic, live_server):
    from nervecare.clients.models import Client
    from nervecare.portal.models import ClientIntake
    from nervecare.scheduling.models import Appointment

    page.goto("/book/riverside/")
    assert page.get_by_role("heading", name="Book your first session at Riverside").is_visible()
    assert page.get_by_text("Staff-only follow-up").count() == 0
    shoot(page, "booking-clinic")

    page.get_by_role("link", name="Gentle first session (60 min)").click()
    page.wait_for_load_state()
    assert page.get_by_text("Alice has eight years of massage").is_visible()
    shoot(page, "booking-service")
    page.get_by_label("Alice", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Show free times").click()
    page.locator("input[name=slot]").first.check()
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Date of birth").fill("1958-03-14")
    page.get_by_label("E-mail address").fill("nia@example.org")
    page.get_by_label("Phone").fill("+44 20 7946 0123")
    # first without the consent: the error names it, nothing is stored
    with page.expect_navigation():
        page.get_by_role("button", name="Request this time").click()
    assert "tick the box to agree" in page.locator("#problems").inner_text()
    assert not Client.objects.filter(last_name="Okafor").exists()
    shoot(page, "booking-error")
    page.locator("input[name=slot]").first.check()
    page.get_by_label(re.compile("I have read the consent to treatment")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Request this time").click()
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()
    shoot(page, "booking-requested")
    held = Appointment.objects.get(client__last_name="Okafor")
    assert held.status == "held" and held.therapist.display_name == "Alice"

    page.goto(_link(r"https?://\S+/book/riverside/confirm/\S+/"))
    shoot(page, "booking-confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my booking").click()
    assert page.get_by_role("heading", name="Your booking is confirmed").is_visible()
    shoot(page, "booking-confirmed")
    held.refresh_from_db()
    assert held.status == "booked"

    page.goto(_link(r"https?://\S+/portal/welcome/\S+/"))
    page.get_by_label("New password", exact=True).fill("a quiet river at dawn")
    page.get_by_label("New password confirmation").fill("a quiet river at dawn")
    with page.expect_navigation():
        page.get_by_role("button", name="Save my password").click()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("nia@example.org")
    page.get_by_label("Password").fill("a quiet river at dawn")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/portal/" in page.url, (page.url, page.locator("main").inner_text())
    page.goto("/portal/about-you/")
    assert "/portal/about-you/" in page.url, (page.url, page.locator("main").inner_text()[:500])
    page.get_by_role("group", name="What caused it, as far as you know?").get_by_label(
        "Diabetes type 2"
    ).check()
    page.get_by_label("What would you like massage to help with?").fill(
        "Walk to the shop without burning feet"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Send to my therapist").click()
    assert "Thank you" in page.locator("main").inner_text()
    shoot(page, "booking-intake-done")
    client = Client.objects.get(last_name="Okafor")
    assert ClientIntake.objects.filter(client=client).exists()
    assert client.provisional  # until a therapist reviews the intake


def test_the_public_booking_pages_under_the_enforced_policy(browser, live_server, online_clinic):
    """Nothing from another host and nothing inline: the public pages load with the strict CSP enforced."""
    from nervecare.scheduling.models import Service
    from nervecare.web.tests.browser.conftest import DESKTOP
    from nervecare.web.tests.browser.test_csp import WATCH, assert_clean

    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    service = Service.objects.get(bookable_online=True)
    for path in ("/book/riverside/", f"/book/riverside/{service.pk}/", "/book/riverside/requested/"):
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status == 200
        assert "default-src 'self'" in response.headers.get("content-security-policy", "")
        assert_clean(page, path)
    context.close()
    assert hosts == {live_server.url.split("/")[2]}, hosts
