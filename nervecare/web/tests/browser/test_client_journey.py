"""The client's side, clicked through in Chromium on a phone-sized screen: invitation to progress."""

import datetime
import re
from pathlib import Path

from django.core import mail
from django.utils import timezone

from nervecare.web.tests.browser.conftest import PHONE, log_in, shoot


def test_client_journey(page, browser, live_server, clinic_setup):
    from nervecare.plans.tests.factories import CarePlanFactory
    from nervecare.portal.models import ClientIntake, DiaryEntry
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.tests.factories import AppointmentFactory

    rosa = clinic_setup["client"]
    CarePlanFactory(client=rosa, status="active", therapist=clinic_setup["therapist"])
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=3)
    upcoming = AppointmentFactory(client=rosa, therapist=clinic_setup["therapist"], starts_at=start)

    # The therapist invites Rosa from her chart.
    log_in(page, "alice")
    page.goto(f"/clients/{rosa.id}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Invite to the portal").click()
    assert "Invitation sent" in page.get_by_role("status").first.inner_text()
    link = re.search(r"(/portal/welcome/\S+)", mail.outbox[-1].body).group(1)

    # Rosa, on her phone, follows the link from the email.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True, is_mobile=True)
    me = phone.new_page()
    me.goto(link)
    me.get_by_label("New password", exact=True).fill("slow mornings by the river")
    me.get_by_label("New password confirmation").fill("slow mornings by the river")
    shoot(me, "portal-set-password")
    with me.expect_navigation():
        me.get_by_role("button", name="Save my password").click()
    me.get_by_role("link", name="Sign in").click()
    me.get_by_label("Username").fill("rosa@example.org")
    me.get_by_label("Password").fill("slow mornings by the river")
    with me.expect_navigation():
        me.get_by_role("button", name="Sign in").click()
    me.wait_for_url("**/portal/")
    shoot(me, "portal-home")

    me.get_by_role("link", name=re.compile("consent")).click()
    shoot(me, "portal-consent")
    me.get_by_label(re.compile("I have read this")).check()
    with me.expect_navigation():
        me.get_by_role("button", name="Sign").click()
    assert rosa.consents.filter(method="electronic").exists()

    # Before her first visit she tells the clinic about her condition herself, body map included.
    me.get_by_role("link", name=re.compile("Tell us about your condition")).click()
    me.get_by_label(re.compile("In the hands and feet")).check()
    me.get_by_label("Diabetes type 2", exact=True).check()
    me.locator("#id_numbness").select_option("6")
    me.locator("#id_burning").select_option("4")
    # The whole picture on a wide screen; on a phone, parts big enough for a fingertip (test_phone_targets.py).
    me.locator(".bodymap-input rect[data-region=toes][data-side=left]:visible").click()
    assert me.input_value("#id_marks-0-region") == "toes"
    me.select_option("#id_marks-0-sensation", "numbness")
    me.fill("#id_marks-0-intensity", "6")
    me.get_by_label("I take blood thinners").check()
    me.get_by_label(re.compile("Medicines you take")).fill("Metformin\nApixaban")
    me.get_by_label(re.compile("What would you like massage")).fill("Sleep through the night")
    shoot(me, "portal-intake")
    with me.expect_navigation():
        me.get_by_role("button", name="Send to my therapist").click()
    intake = ClientIntake.objects.get(client=rosa)
    assert (intake.condition.cause, intake.condition.numbness) == ("diabetes_t2", 6)
    assert intake.body_map.marks.filter(region="toes", sensation="numbness").exists()
    assert rosa.flags.filter(rule_id="anticoagulants_bleeding", status="open").exists()

    me.get_by_role("link", name=re.compile("Your pain today")).click()
    me.get_by_label("6", exact=True).check()
    shoot(me, "portal-questionnaire")
    with me.expect_navigation():
        me.get_by_role("button", name="Save my answers").click()
    assert rosa.responses.filter(instrument="nrs_pain", total=6).exists()

    me.get_by_role("link", name="Fill in today's diary").click()
    for legend, value in (
        ("Pain", "4"),
        ("Numbness", "6"),
        ("Tingling", "5"),
        ("How well did you sleep", "7"),
    ):
        me.get_by_role("group", name=re.compile(legend)).get_by_label(value, exact=True).check()
    me.get_by_label(re.compile("Anything else")).fill("Walked to the shop without stopping.")
    shoot(me, "portal-diary")
    with me.expect_navigation():
        me.get_by_role("button", name="Save my diary").click()
    assert DiaryEntry.objects.get(client=rosa).numbness == 6
    me.wait_for_url("**/portal/progress/")
    assert me.locator("svg.chart").is_visible()
    shoot(me, "portal-progress")
    with me.expect_download() as report:
        me.get_by_role("link", name=re.compile("Download my progress report")).click()
    assert report.value.suggested_filename == "my-progress-report.pdf"
    assert Path(report.value.path()).read_bytes().startswith(b"%PDF")

    me.get_by_role("link", name="Appointments").click()
    shoot(me, "portal-appointments")
    me.once("dialog", lambda dialog: dialog.accept())
    with me.expect_navigation():
        me.get_by_role("button", name="Cancel this appointment").click()
    upcoming.refresh_from_db()
    assert upcoming.status == Appointment.Status.CANCELLED
    with me.expect_download() as download:
        me.get_by_role("link", name=re.compile("Add to my calendar")).click()
    assert download.value.suggested_filename.endswith(".ics")

    # She books her next session herself: a free time of her plan's therapist, at least a day ahead.
    me.get_by_role("link", name="Book a session").first.click()
    me.wait_for_url("**/portal/book/")
    slot = me.locator("label.slot").first
    box = slot.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, f"touch target too small: {box}"
    slot.click()
    shoot(me, "portal-book")
    with me.expect_navigation():
        me.get_by_role("button", name="Continue").click()
    shoot(me, "portal-book-confirm")
    with me.expect_navigation():
        me.get_by_role("button", name="Book this time").click()
    assert "Booked" in me.get_by_role("status").first.inner_text()
    booked = Appointment.objects.get(client=rosa, status=Appointment.Status.BOOKED)
    assert booked.created_by.username == "rosa@example.org" and booked.therapist == clinic_setup["therapist"]
    assert booked.starts_at >= timezone.now() + datetime.timedelta(hours=24)
    assert me.get_by_role("link", name="Change the time").count() == 1

    # Staff pages are closed to her.
    response = me.goto(f"/clients/{rosa.id}/")
    assert response.status == 403
    phone.close()

    # Her therapist sees what she reported, marked as hers, and reviews it.
    page.goto(f"/clients/{rosa.id}/")
    assert page.get_by_role("heading", name=re.compile("Reported by the client")).is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as reviewed").click()
    intake.refresh_from_db()
    assert intake.reviewed_by == clinic_setup["user"]
