"""Issue 18: a therapist assigns a home programme to a client with loss of protective sensation (the heat
items are refused, with the reason shown); the client ticks items off in the portal on a 390 x 844 phone (large
targets, by touch) and on the desktop (by keyboard), and sees the week. axe-core clean at both sizes."""

from nervecare.web.tests.browser.conftest import DESKTOP, PHONE, log_in, shoot

MIN = 44


def _boxes(page, selector: str) -> list[dict]:
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .filter(el => el.getClientRects().length)
            .map(el => { const r = el.getBoundingClientRect();
                return {name: el.getAttribute('aria-label') || el.textContent.trim(), w: r.width, h: r.height}; })""",
        selector,
    )


def test_assign_with_heat_refused_then_tick_on_phone_and_desktop(browser, page, live_server, clinic_setup):
    from nervecare.portal.tests.factories import ClientAccountFactory
    from nervecare.selfcare.models import CheckOff, Programme
    from nervecare.selfcare.tests.factories import SafetyFlagFactory

    client = clinic_setup["client"]
    SafetyFlagFactory(client=client, rule_id="lops")
    ClientAccountFactory(client=client, user__username="rosa")

    page.set_default_navigation_timeout(
        90_000
    )  # the first request warms the server up (slow on a busy machine)
    # The therapist: the heat items are shown refused, with the flag and the reason; the rest can be assigned.
    log_in(page, "alice")
    page.goto(f"/clients/{client.id}/self-care/")
    soak = page.locator("#id_items_warm_foot_soak")
    assert soak.is_disabled()
    assert page.locator("#id_items_warm_pack_feet").is_disabled()
    reason = page.locator("#why-items-warm_foot_soak").inner_text()
    assert "Loss of protective sensation" in reason and "no heat and no foot soaking" in reason
    shoot(page, "selfcare-assign")
    page.get_by_label("Look at both feet").check()
    page.get_by_label("Check inside your shoes").check()
    page.get_by_label("Why (kept with the change)").fill("Daily foot care between the weekly sessions")
    with page.expect_navigation():
        page.get_by_role("button", name="Assign the programme").click()
    assert "Home programme assigned." in page.content()
    programme = Programme.objects.get(client=client)
    assert sorted(programme.items.values_list("item_code", flat=True)) == ["foot_inspection", "shoe_check"]
    assert programme.changes.get().reason == "Daily foot care between the weekly sessions"
    shoot(page, "selfcare-programme")

    # The client on a phone: large targets, tick by touch.
    phone = browser.new_context(
        base_url=live_server.url, viewport=PHONE, bypass_csp=True, is_mobile=True, has_touch=True
    )
    phone.set_default_timeout(10_000)
    phone.set_default_navigation_timeout(90_000)
    mobile = phone.new_page()
    try:
        log_in(mobile, "rosa")
        mobile.goto("/portal/self-care/")
        targets = _boxes(mobile, ".sc-tick, .sc-item summary, .sc-item select, .sc-item input[type=text]")
        assert targets and all(b["w"] >= MIN and b["h"] >= MIN for b in targets), targets
        nav = _boxes(mobile, "header.top nav a")
        assert all(b["h"] >= MIN for b in nav)
        assert max(b["w"] for b in _boxes(mobile, ".sc-item")) <= PHONE["width"]
        with mobile.expect_navigation():
            mobile.get_by_role("button", name="Mark Look at both feet done for today").tap()
        assert mobile.get_by_text("Done today").count() == 1
        shoot(mobile, "selfcare-today-phone")
    finally:
        phone.close()
    assert CheckOff.objects.filter(item__item_code="foot_inspection").count() == 1

    # The same client at a desk, by keyboard only: open the optional part, rate, tick with Enter.
    desk = browser.new_context(base_url=live_server.url, viewport=DESKTOP, bypass_csp=True)
    desk.set_default_timeout(10_000)
    desk.set_default_navigation_timeout(90_000)
    keyboard = desk.new_page()
    try:
        log_in(keyboard, "rosa")
        keyboard.goto("/portal/self-care/")
        item = keyboard.locator(".sc-item", has_text="Check inside your shoes")
        item.locator("summary").focus()
        keyboard.keyboard.press("Enter")
        item.get_by_label("How it went (0-10)").select_option("7")
        item.get_by_label("Note").fill("Found a small stone")
        button = keyboard.get_by_role("button", name="Mark Check inside your shoes done for today")
        button.focus()
        with keyboard.expect_navigation():
            keyboard.keyboard.press("Enter")
        done = CheckOff.objects.get(item__item_code="shoe_check")
        assert (done.rating, done.note) == (7, "Found a small stone")
        shoot(keyboard, "selfcare-today")
        keyboard.get_by_role("link", name="See your week").click()
        keyboard.wait_for_load_state()
        assert "7/10" in keyboard.content()
        shoot(keyboard, "selfcare-week")
    finally:
        desk.close()
