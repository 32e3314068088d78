"""The daily foot check clicked through in Chromium (issue 18 point 4 and 6): a client with loss of protective
sensation reports a new blister on a 390x844 screen and reads the plain-words advice; the stop flag it raises
blocks the check-in of her session today on the desk's day page; the report shows on the therapist's list.
axe-core clean at phone and desktop widths."""

import re

from nervecare.web.tests.browser.conftest import PHONE, log_in, shoot


def test_a_new_blister_reported_on_a_phone_stops_the_next_session(page, browser, live_server, clinic_setup):
    from nervecare.footcheck.tests.factories import lops_client, portal_user_for
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.tests.factories import AppointmentFactory
    from nervecare.screening.models import SafetyFlag

    lena = lops_client(
        clinic=clinic_setup["clinic"], actor=clinic_setup["user"], first_name="Lena", last_name="Sole"
    )
    portal_user_for(lena, "lena")
    today = AppointmentFactory(client=lena, therapist=clinic_setup["therapist"])

    # Lena, on her phone: the portal's home offers the check; she reports a new blister on her left sole.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True, is_mobile=True)
    # A loaded machine serves the first pages slowly: wait longer than the default (never a sleep).
    for context in (phone, page.context):
        context.set_default_timeout(60_000)
        context.set_default_navigation_timeout(120_000)
    me = phone.new_page()
    log_in(me, "lena")
    me.goto("/portal/")
    with me.expect_navigation():
        me.get_by_role("link", name="Check my feet").click()
    shoot(me, "portal-foot-check")
    me.set_viewport_size(PHONE)
    me.get_by_label("A blister").check()
    me.get_by_role("radio", name="Left foot").check()
    me.get_by_role("checkbox", name="Sole of foot").check()
    with me.expect_navigation():
        me.get_by_role("button", name="Send my foot check").click()
    advice = me.get_by_role("alert").inner_text()
    assert "contact your doctor or your foot service today" in advice
    assert "next massage will wait" in advice
    shoot(me, "portal-foot-check-result")
    phone.close()
    assert SafetyFlag.objects.filter(
        client=lena, rule_id="foot_ulcer_wound_infection", status="open"
    ).exists()

    # Alice: the check-in of Lena's session today is refused on the day page.
    log_in(page, "alice")
    page.goto("/day/")
    with page.expect_navigation():
        page.get_by_role("button", name="Check in Lena Sole").click()
    assert re.search("Foot ulcer, wound or infection|safety", page.locator(".alert-error").first.inner_text())
    today.refresh_from_db()
    assert today.status == Appointment.Status.BOOKED

    # Her report heads the therapist's list, linked to the report.
    page.goto("/between-sessions/")
    row = page.get_by_role("row", name=re.compile("Lena Sole"))
    assert "red flag" in row.inner_text().lower()  # the badge is upper-cased by CSS
    shoot(page, "between-sessions")
    with page.expect_navigation():
        row.get_by_role("link", name=re.compile("not reviewed")).click()
    assert "A blister" in page.content() or "a blister" in page.content()
    shoot(page, "foot-check-report")
