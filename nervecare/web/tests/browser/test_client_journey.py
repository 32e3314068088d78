"""The client's side, clicked through in Chromium on a phone-sized screen: invitation to progress."""

import datetime
import re

from django.core import mail
from django.utils import timezone

from nervecare.web.tests.browser.conftest import PHONE, log_in, shoot


def test_client_journey(page, browser, live_server, clinic_setup):
    from nervecare.portal.models import DiaryEntry
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.tests.factories import AppointmentFactory

    rosa = clinic_setup["client"]
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

    me.get_by_role("link", name=re.compile("Your pain today")).click()
    me.get_by_label("6", exact=True).check()
    shoot(me, "portal-questionnaire")
    with me.expect_navigation():
        me.get_by_role("button", name="Save my answers").click()
    assert rosa.responses.filter(instrument="nrs_pain", total=6).exists()

    me.get_by_role("link", name="Fill in today's diary").click()
    for legend, value in (("Pain", "4"), ("Numbness", "6"), ("Tingling", "5"), ("How much", "2")):
        me.get_by_role("group", name=re.compile(legend)).get_by_label(value, exact=True).check()
    me.get_by_label(re.compile("Anything else")).fill("Walked to the shop without stopping.")
    shoot(me, "portal-diary")
    with me.expect_navigation():
        me.get_by_role("button", name="Save my diary").click()
    assert DiaryEntry.objects.get(client=rosa).numbness == 6
    me.wait_for_url("**/portal/progress/")
    assert me.locator("svg.chart").is_visible()
    shoot(me, "portal-progress")

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

    # Staff pages are closed to her.
    response = me.goto(f"/clients/{rosa.id}/")
    assert response.status == 403
    phone.close()
