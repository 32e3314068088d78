"""Issue 19, point 13: on a phone, a client with numb fingers can hit every target of the body map and the
navigation. Measured in Chromium at a phone's viewport: each tappable body region at least 44 x 44 CSS px, each
navigation link at least 44 px tall; tapping a region adds its row to the list (the list alternative), and the
page stays axe-clean."""

from nervecare.web.tests.browser.conftest import PHONE, log_in, shoot

MIN = 44


def _boxes(page, selector: str) -> list[dict]:
    return page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
            .map(el => { const r = el.getBoundingClientRect();
                return {name: el.getAttribute('aria-label') || el.textContent.trim(), w: r.width, h: r.height}; })""",
        selector,
    )


def test_portal_body_map_and_navigation_targets_fit_a_fingertip(browser, live_server, clinic_setup):
    from nervecare.portal.tests.factories import ClientAccountFactory

    ClientAccountFactory(client=clinic_setup["client"], user__username="rosa")
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, bypass_csp=True, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)
    page = context.new_page()
    try:
        log_in(page, "rosa")
        page.goto("/portal/about-you/")

        nav = _boxes(page, "header.top nav a, header.top .brand, header.top .who button")
        assert nav and all(b["h"] >= MIN for b in nav), [b for b in nav if b["h"] < MIN]

        # The whole figure is hidden on a phone (its fingers would be 8 px wide); the parts are shown instead.
        assert _boxes(page, "figure.bodymap-input rect.region") == []
        summaries = page.locator(".bodyparts summary")
        assert summaries.count() >= 10
        assert all(b["h"] >= MIN for b in _boxes(page, ".bodyparts summary"))
        for i in range(summaries.count()):
            summaries.nth(i).click()
        targets = _boxes(page, ".bodyparts rect.region")
        regions = page.evaluate(
            "() => new Set(Array.from(document.querySelectorAll('.bodyparts rect.region'))"
            ".map(r => r.dataset.region)).size"
        )
        assert regions >= 25, "every body region can be chosen from the parts"
        small = [b for b in targets if b["w"] < MIN or b["h"] < MIN]
        assert not small, f"targets under {MIN}x{MIN} CSS px: {small}"
        assert max(b["w"] for b in _boxes(page, ".bodyparts svg")) <= PHONE["width"]

        # Tapping a region fills the list below: the same data as choosing it from the list.
        page.locator(".bodyparts rect[data-region=fingers][data-side=right]").tap()
        assert page.input_value("#id_marks-0-region") == "fingers"
        assert page.input_value("#id_marks-0-side") == "right"
        shoot(page, "portal-body-map-parts")
    finally:
        context.close()
