"""Drag an appointment on the week calendar to reschedule it; a refused move says why."""

import datetime
import re
from zoneinfo import ZoneInfo

from django.utils import timezone

from nervecare.web.tests.browser.conftest import SCREENSHOTS, axe_check, log_in, shoot


def _row_center(page, day_index: int, hour: int, minute: int = 0) -> tuple[float, float]:
    """Screen position of a time in a day column of the week grid (15-minute rows, top edge of the block)."""
    day = page.locator(".week-day").nth(day_index).bounding_box()
    first = page.locator(".week-hour").first
    top = first.bounding_box()["y"]
    row_height = first.bounding_box()["height"] / 4
    start_hour = int(first.get_attribute("data-hour"))
    y = top + ((hour - start_hour) * 60 + minute) / 15 * row_height + 2
    return day["x"] + day["width"] / 2, y


def test_drag_to_reschedule(page, clinic_setup):
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.tests.factories import AppointmentFactory

    tz = ZoneInfo(clinic_setup["clinic"].timezone)
    today = timezone.now().astimezone(tz).date()
    monday = today - datetime.timedelta(days=today.weekday())
    target_week = monday + datetime.timedelta(days=7)  # next week: every day is in the future
    start = datetime.datetime.combine(target_week + datetime.timedelta(days=1), datetime.time(10), tzinfo=tz)
    appt = AppointmentFactory(
        client=clinic_setup["client"], therapist=clinic_setup["therapist"], starts_at=start
    )

    # Tall enough that 10:00 and 14:00 are on screen together: a mouse drag happens in the viewport, and the
    # staff menu may wrap onto a second line as it grows.
    page.set_viewport_size({"width": 1280, "height": 1100})
    log_in(page, "alice")
    page.goto(f"/calendar/?week={target_week.isoformat()}&therapist={clinic_setup['therapist'].id}")
    block = page.locator(f"[data-appointment='{appt.id}']")
    assert block.get_attribute("draggable") == "true"
    box = block.bounding_box()

    # Tuesday 10:00 → Thursday 14:00 (grab the block at its top edge so the top lands on the row).
    x, y = _row_center(page, 3, 14)
    block.drag_to(
        page.locator(".week"),
        source_position={"x": box["width"] / 2, "y": 2},
        target_position={
            "x": x - page.locator(".week").bounding_box()["x"],
            "y": y - page.locator(".week").bounding_box()["y"],
        },
    )
    dialog = page.locator("dialog[data-week-dialog]")
    assert dialog.is_visible()
    assert "14:00" in dialog.inner_text() and "Move" in dialog.inner_text()
    axe_check(page, "calendar-drag-confirm")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "calendar-drag-confirm-desktop.png"))
    with page.expect_navigation():
        dialog.get_by_role("button", name="Move it").click()
    appt.refresh_from_db()
    assert appt.starts_at.astimezone(tz) == datetime.datetime.combine(
        target_week + datetime.timedelta(days=3), datetime.time(14), tzinfo=tz
    )
    assert appt.status == Appointment.Status.BOOKED
    assert "Appointment moved." in page.locator("[data-week-status]").inner_text()

    # A move outside Alice's hours (she starts at 08:00) is refused, with the reason, and nothing changes.
    block = page.locator(f"[data-appointment='{appt.id}']")
    box = block.bounding_box()
    x, y = _row_center(page, 4, 7)
    grid = page.locator(".week").bounding_box()
    block.drag_to(
        page.locator(".week"),
        source_position={"x": box["width"] / 2, "y": 2},
        target_position={"x": x - grid["x"], "y": y - grid["y"]},
    )
    dialog.get_by_role("button", name="Move it").click()
    error = dialog.locator("[data-week-error]")
    error.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('[data-week-error]').textContent.length > 0")
    assert re.search("outside Alice's working hours", error.inner_text())
    shoot(page, "calendar-drag-refused", axe=False)
    axe_check(page, "calendar-drag-refused")
    dialog.get_by_role("button", name="Keep the old time").click()
    appt.refresh_from_db()
    assert appt.starts_at.astimezone(tz).hour == 14
