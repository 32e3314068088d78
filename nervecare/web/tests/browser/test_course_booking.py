"""The front desk books a twice-weekly course that skips the bank holiday, clicked through in Chromium
(issue 16, "Done means"); axe-core on every page it sees. The API offers the same operation (POST
/api/v1/series with `weekdays`: scheduling/tests/test_courses.py)."""

import datetime

from django.utils import timezone

from nervecare.web.tests.browser.conftest import log_in, shoot


def test_desk_books_a_twice_weekly_course_around_the_bank_holiday(page, clinic_setup):
    from nervecare.core.tests.factories import UserFactory
    from nervecare.plans.models import CarePlan
    from nervecare.plans.tests.factories import CarePlanFactory
    from nervecare.scheduling.models import Appointment, Closure, Series

    clinic, alice, rosa = clinic_setup["clinic"], clinic_setup["therapist"], clinic_setup["client"]
    UserFactory(username="desk", clinic=clinic, role="front_desk", first_name="Dee", last_name="Desk")
    plan = CarePlanFactory(
        client=rosa,
        therapist=alice,
        status=CarePlan.Status.ACTIVE,
        modality="swedish",
        sessions_per_week=2,
        course_weeks=12,
    )
    today = timezone.localdate()
    # The course starts next Monday; the bank holiday is the Thursday of its second week.
    start = today + datetime.timedelta(days=7 - today.weekday())
    holiday = start + datetime.timedelta(days=10)
    Closure.objects.create(
        clinic=clinic, starts_on=holiday, ends_on=holiday, name="Bank holiday", source="holiday"
    )

    log_in(page, "desk")
    page.goto("/book/")
    row = page.locator("tr", has_text="Diaz, Rosa")
    row.get_by_role("link", name="Book the course").click()
    page.wait_for_url(f"**/clients/{rosa.id}/plans/{plan.id}/book/")
    assert "2 a week for 12 weeks" in page.content()
    page.get_by_label("Course starts on").fill(start.isoformat())
    page.get_by_label("Time").fill("10:00")
    page.get_by_label("Number of sessions").fill("24")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        box = page.get_by_label(day, exact=True)
        if day in ("Tuesday", "Thursday"):
            box.check()
        else:
            box.uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Check the dates").click()
    assert page.get_by_role("heading", name="23 of 24 dates are free").is_visible()
    closed_row = page.locator("tr", has_text="Closed: Bank holiday")
    assert closed_row.count() == 1
    assert holiday.strftime("%-d %b %Y") in closed_row.inner_text()
    # The next free day of that week is offered, and chosen unless the desk skips the date.
    offered = closed_row.get_by_role("radio").first
    assert offered.is_checked()
    shoot(page, "course-preview")

    with page.expect_navigation():
        page.get_by_role("button", name="Book these sessions").click()
    assert "24 sessions booked." in page.content()
    booked = list(Appointment.objects.filter(plan=plan).order_by("starts_at"))
    days = [a.starts_at.astimezone(datetime.UTC).date() for a in booked]
    assert len(booked) == 24 and holiday not in days
    assert holiday + datetime.timedelta(days=1) in days  # the Friday instead
    assert {d.weekday() for d in days if d != holiday + datetime.timedelta(days=1)} == {1, 3}
    assert Series.objects.get(plan=plan).weekdays == [1, 3]

    page.goto(f"/calendar/?therapist={alice.id}&week={holiday.isoformat()}")
    assert page.get_by_text("Closed: Bank holiday").is_visible()
    shoot(page, "course-week-with-closure")
