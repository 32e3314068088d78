"""The therapist's pathway, clicked through in Chromium: intake to a signed note."""

import datetime
import re

from django.utils import timezone

from nervecare.web.tests.browser.conftest import log_in, shoot


def answer_every_item(page, choice: int = 0) -> None:
    """Tick one option per item (or type a number), as a therapist would."""
    for item in page.locator("fieldset.item").all():
        radios = item.locator("input[type=radio]")
        if radios.count():
            radios.nth(min(choice, radios.count() - 1)).check()
        else:
            item.locator("input[type=number]").fill("1")


def test_staff_pathway(page, clinic_setup):
    from nervecare.clients.models import Client
    from nervecare.plans.models import CarePlan
    from nervecare.scheduling.models import Appointment
    from nervecare.visits.models import SessionNote

    log_in(page, "alice")
    assert "Rosa Diaz" in page.locator("#h-notes").locator("..").inner_text()  # yesterday's note is waiting
    shoot(page, "staff-dashboard")

    page.get_by_role("link", name="New client").first.click()
    page.fill("#id_client-first_name", "Maria")
    page.fill("#id_client-last_name", "Lopez")
    page.fill("#id_client-date_of_birth", "1958-03-02")
    page.fill("#id_client-email", "maria@example.org")
    page.select_option("#id_condition-type", "peripheral")
    page.select_option("#id_condition-cause", "diabetes_t2")
    page.fill("#id_condition-numbness", "7")
    page.fill("#id_condition-pain", "4")
    page.check("#id_medical-on_anticoagulants")
    page.locator("figure.bodymap-input rect[data-region=toes][data-side=left]").click()
    assert page.input_value("#id_marks-0-region") == "toes" and page.input_value("#id_marks-0-side") == "left"
    page.locator("figure.bodymap-input rect[data-region=toes][data-side=right]").focus()
    page.keyboard.press("Enter")  # the picture works from the keyboard too
    assert (
        page.input_value("#id_marks-1-region") == "toes" and page.input_value("#id_marks-1-side") == "right"
    )
    page.select_option("#id_marks-1-sensation", "numbness")
    page.fill("#id_marks-1-intensity", "6")
    page.select_option("#id_marks-0-sensation", "numbness")
    page.fill("#id_marks-0-intensity", "7")
    page.fill("#id_condition-pain", "14")
    page.locator("#id_condition-numbness").focus()
    assert page.locator("#id_condition-pain-inline").inner_text()  # said at once, before saving
    page.fill("#id_condition-pain", "4")
    page.check("#id_consent-given")
    page.select_option("#id_consent-version", "1.0")
    page.select_option("#id_consent-method", "written")
    warned = page.evaluate(
        "() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e);"
        " return e.defaultPrevented; }"
    )
    assert warned  # leaving now would lose the typed intake
    shoot(page, "intake")
    page.get_by_role("button", name="Save intake").click()
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    client = Client.objects.get(last_name="Lopez")

    for code in ("mnsi_history", "dn4"):
        page.goto(f"/clients/{client.id}/")
        page.locator(f"a[href='/clients/{client.id}/screen/{code}/']").click()
        answer_every_item(page)
        if code == "dn4":
            shoot(page, "screening-dn4")
        page.get_by_role("button", name="Score and save").click()
        page.wait_for_url(f"**/clients/{client.id}/")
        assert page.get_by_role("status").first.is_visible()
    assert client.responses.count() == 2

    flags = page.locator("#flags")
    assert "anticoagulant" in flags.inner_text().lower()
    shoot(page, "client-chart")

    page.get_by_role("button", name="Propose a plan").click()
    page.wait_for_url(re.compile(r"/plans/\d+/$"))
    shoot(page, "plan")
    with page.expect_navigation():
        page.get_by_role("button", name="Accept and activate").click()
    plan = CarePlan.objects.get(client=client)
    assert plan.status == "active"

    page.get_by_role("link", name="Book the weekly sessions").click()
    page.wait_for_url(f"**/clients/{client.id}/plans/{plan.id}/book/")
    first = timezone.localdate() + datetime.timedelta(days=2)
    page.fill("#id_first_date", first.isoformat())
    page.fill("#id_local_time", "10:00")
    page.fill("#id_count", "3")
    page.get_by_role("button", name="Check the dates").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Book these sessions").click()
    page.wait_for_load_state()
    assert Appointment.objects.filter(client=client, status="booked").count() == 3
    shoot(page, "book-series")

    page.goto("/calendar/")
    shoot(page, "calendar")

    past = clinic_setup["past"]
    page.goto(f"/appointments/{past.id}/note/")
    page.select_option("#id_modality", "swedish")
    page.select_option("#id_pressure", "light")
    page.fill("#id_minutes", "60")
    # Areas treated: tapped on the body map, which ticks them in the list beside it (issue 19).
    for side in ("left", "right"):
        page.locator(f"figure.bodymap-toggle rect[data-region=toes][data-side={side}]").click()
        assert page.is_checked(f"input[name=areas_treated][value='toes:{side}']")
    page.locator("figure.bodymap-toggle rect[data-region=toes][data-side=right]").press("Enter")
    assert not page.is_checked("input[name=areas_treated][value='toes:right']")  # a second tap unticks
    page.locator("figure.bodymap-toggle rect[data-region=toes][data-side=right]").press("Enter")
    page.fill("#id_subjective", "Feet felt less numb after last week.")
    page.fill("#id_pain_before", "4")
    page.fill("#id_pain_after", "2")
    page.fill("#id_soreness_after", "1")
    shoot(page, "note")
    # Saving swaps the note in place (HTMX): no page load between the before and the after ratings.
    url = page.url
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Note saved (draft).").wait_for()
    assert page.url == url
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and lock the note").click()
    assert SessionNote.objects.get(appointment=past).is_signed

    page.goto("/clients/")
    page.fill("#q", "lop")
    page.locator("#client-rows", has_text="Lopez").wait_for()
    page.wait_for_function("() => !document.querySelector('#client-rows').innerText.includes('Diaz')")
    page.select_option("#plan_status", "active")
    shoot(page, "client-list")

    page.goto("/review/")
    shoot(page, "review")
    page.goto(f"/clients/{client.id}/")
    assert page.get_by_role("heading", name=re.compile("Maria Lopez")).is_visible()
    assert page.locator(".bodymap-pair rect.marked").count() >= 1
    shoot(page, "client-chart-after")

    page.get_by_role("link", name="Progress charts").click()
    page.wait_for_url(f"**/clients/{client.id}/outcomes/")
    shoot(page, "outcomes", axe=False)  # the outcomes pages are checked by their own tests
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="Progress report (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
