"""Real-browser tests: Playwright driving Debian's Chromium against the app on pytest-django's live server.

Never downloads a browser: /usr/bin/chromium is installed with apt (CI does it in its set-up). Without it the
tests are skipped locally and fail under CI=true, so a broken CI image cannot pass silently.
"""

import datetime
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM (fixtures, assertions) then thinks
# it is called from async code. The tests are sequential, so this is safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[4]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "nervecare" / "static" / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct-horse-battery"  # UserFactory's


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One Chromium for the whole session (starting it is the slow part)."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh context (cookies) per test; bypass_csp lets the tests inject the vendored axe-core."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, bypass_csp=True)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)  # the first request also warms the server up
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def axe_check(page, name: str) -> None:
    """Run axe-core (WCAG 2.x A/AA rules) on the current page; fail on serious or critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on {name} ({page.url}): {bad}"


def shoot(page, name: str, *, axe: bool = True) -> None:
    """Screenshot the page at desktop and phone widths (test artefacts) and check it with axe at both."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if axe:
        axe_check(page, name)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    if axe:
        axe_check(page, f"{name} (phone)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the pages: password, then the two-step code (staff). The first time, enrol: read the key
    shown under the QR code and compute the code as an authenticator app would; later, compute it from the
    user's device."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/accounts/mfa/setup/" in page.url:
        from base64 import b32decode

        from django_otp.oath import TOTP

        secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
        key = b32decode(secret + "=" * (-len(secret) % 8))
        page.get_by_label("6-digit code").fill(f"{TOTP(key).token():06d}")
        with page.expect_navigation():
            page.get_by_role("button", name="Confirm and continue").click()
        with page.expect_navigation():
            page.get_by_role("link", name="I have saved them: continue").click()
    elif "/accounts/mfa/verify/" in page.url:
        page.get_by_label("6-digit code").fill(_next_code(username))
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _next_code(username: str) -> str:
    """The user's current TOTP code, or the next step's if the current one was used (a code works once; the
    device accepts one step of drift)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time = device.t0 + (device.last_t + 1) * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def clinic_setup(transactional_db):
    """A clinic as a therapist finds it on a Monday morning: hours every day, services, a room, a client with
    yesterday's completed session whose note is waiting to be signed."""
    from django.utils import timezone

    from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, ConsentTextFactory
    from nervecare.core.tests.factories import ClinicFactory, TherapistFactory, UserFactory
    from nervecare.plans.models import CarePlan
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.tests.factories import (
        AppointmentFactory,
        RoomFactory,
        ServiceFactory,
        WorkingHoursFactory,
    )

    clinic = ClinicFactory(name="Riverside", slug="riverside")
    ConsentTextFactory(clinic=clinic, version="1.0")
    user = UserFactory(
        username="alice", clinic=clinic, role="therapist", first_name="Alice", last_name="Moss"
    )
    therapist = TherapistFactory(
        user=user,
        clinic=clinic,
        display_name="Alice",
        years_experience=8,
        certifications=["oncology_massage", "mld", "diabetic_foot"],
    )
    for weekday in range(7):
        WorkingHoursFactory(
            therapist=therapist, weekday=weekday, start=datetime.time(8, 0), end=datetime.time(19, 0)
        )
    RoomFactory(clinic=clinic, name="Room 1")
    for modality, _label in CarePlan.Modality.choices:
        ServiceFactory(clinic=clinic, code=f"{modality}-60", name=f"60-min {modality}", modality=modality)
    existing = ClientFactory(clinic=clinic, first_name="Rosa", last_name="Diaz", email="rosa@example.org")
    ConditionFactory(client=existing)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=1)
    past = AppointmentFactory(
        client=existing,
        therapist=therapist,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        blocked_until=start + datetime.timedelta(hours=1),
        status=Appointment.Status.COMPLETED,
    )
    return {"clinic": clinic, "user": user, "therapist": therapist, "client": existing, "past": past}
