"""Drag on the front desk's day view (issue 16 §2: "book, move ... from it; keyboard and touch paths besides
drag"): drag a booking to another therapist and time (confirmed in a dialog, refused with the reason when it
cannot be), and drag across free time to book from where the drag started. axe-core clean with the dialog."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from nervecare.web.tests.browser.conftest import axe_check, log_in, shoot
from nervecare.web.tests.browser.test_desk_day import desk_day  # noqa: F401 - the fixture


def _row_y(page, hour: int, minute: int = 0) -> float:
    """Screen height of a local time on the day grid (15-minute rows from the first hour label)."""
    hours = page.locator(".day .week-hour")
    top = hours.nth(0).bounding_box()["y"]
    row = (hours.nth(1).bounding_box()["y"] - top) / 4
    first = int(hours.nth(0).inner_text()[:2])
    return top + ((hour - first) * 60 + minute) / 15 * row


def _column_x(page, therapist_id: int) -> float:
    box = page.locator(f"[data-column='{therapist_id}']").bounding_box()
    return box["x"] + box["width"] / 2


def _show_from(page, hour: int) -> None:
    """Scroll so the grid's `hour` row is near the top of the window (the whole day is taller than it)."""
    page.evaluate("y => window.scrollBy(0, y)", _row_y(page, hour) - 120)


def _drag(page, block, x: float, y: float) -> None:
    """Drag the block by its top edge to the screen point (x, y): the top of the block lands there."""
    box = block.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(x, y, steps=6)
    page.mouse.move(x, y + 1, steps=2)
    page.mouse.up()


def test_drag_a_booking_to_another_therapist_and_drag_to_book(page, desk_day):  # noqa: F811
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.tests.factories import AppointmentFactory

    tz = desk_day["tz"]
    day = timezone.now().astimezone(tz).date() + datetime.timedelta(days=7)
    appt = AppointmentFactory(
        client=desk_day["client"],
        therapist=desk_day["therapist"],
        starts_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=tz),
    )
    ben = desk_day["ben"]

    log_in(page, "frank")
    page.goto(f"/day/?date={day.isoformat()}")
    block = page.locator(f"[data-appointment='{appt.id}']")
    assert block.get_attribute("draggable") == "true"
    _show_from(page, 9)

    # Alice 10:00 -> Ben 13:00 (grab the block at its top edge so its top lands on the row).
    _drag(page, block, _column_x(page, ben.id), _row_y(page, 13) + 2)
    dialog = page.locator("dialog[data-day-dialog]")
    assert dialog.is_visible()
    assert (
        "Rosa Diaz" in dialog.inner_text() and "Ben" in dialog.inner_text() and "13:00" in dialog.inner_text()
    )
    axe_check(page, "day-drag-confirm")
    shoot(page, "day-drag-confirm", axe=False)
    with page.expect_navigation():
        dialog.get_by_role("button", name="Move it").click()
    appt.refresh_from_db()
    assert appt.therapist == ben and appt.status == Appointment.Status.BOOKED
    assert appt.starts_at.astimezone(tz).time() == datetime.time(13)
    assert "Appointment moved." in page.locator("[data-day-status]").inner_text()

    # Outside Ben's hours (he starts at 08:00): refused with the reason, nothing changes.
    block = page.locator(f"[data-appointment='{appt.id}']")
    _show_from(page, 7)
    page.evaluate("() => window.scrollBy(0, -60)")
    _drag(page, block, _column_x(page, ben.id), _row_y(page, 7) + 2)
    dialog.get_by_role("button", name="Move it").click()
    page.wait_for_function("() => document.querySelector('[data-day-error]').textContent.length > 0")
    assert re.search("outside Ben's working hours", dialog.locator("[data-day-error]").inner_text())
    dialog.get_by_role("button", name="Keep it as it is").click()
    appt.refresh_from_db()
    assert appt.starts_at.astimezone(tz).time() == datetime.time(13) and appt.therapist == ben

    # Drag across Alice's free time from 15:00 down to 16:00: the booking form opens at 15:00 with Alice.
    _show_from(page, 14)
    x = _column_x(page, desk_day["therapist"].id)
    page.mouse.move(x, _row_y(page, 15) + 3)
    page.mouse.down()
    page.mouse.move(x, _row_y(page, 15, 30), steps=4)
    page.mouse.move(x, _row_y(page, 16) - 3, steps=4)
    assert page.locator(".day .week-drop").is_visible()
    with page.expect_navigation():
        page.mouse.up()
    query = parse_qs(urlsplit(page.url).query)
    assert query["at"] == ["15:00"] and query["therapist"] == [str(desk_day["therapist"].id)]
    assert query["day"] == [day.isoformat()]
    page.get_by_label("Client:", exact=True).select_option(label="Diaz, Rosa")
    page.get_by_label("Service:", exact=True).select_option(index=0)
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    booked = Appointment.objects.filter(therapist=desk_day["therapist"], client=desk_day["client"]).exclude(
        pk__in=[appt.pk, desk_day["past"].pk]
    )
    assert [a.starts_at.astimezone(tz).time() for a in booked] == [datetime.time(15)]

    # A plain click on free time still books from its start (the keyboard and touch path).
    page.goto(f"/day/?date={day.isoformat()}")
    link = page.get_by_role("link", name=re.compile(r"^Book Ben, free")).first
    with page.expect_navigation():
        link.click()
    assert "at=08%3A00" in page.url or "at=08:00" in page.url
