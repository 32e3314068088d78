"""The pages work under the strict Content-Security-Policy, in a real browser that enforces it.

The other browser tests open their pages with bypass_csp (to inject axe-core). Here the policy is enforced:
every main page is loaded and the test fails on any `securitypolicyviolation` event or console error (an
inline style, script or handler, a <style> inside a chart, htmx's injected indicator styles...)."""

import pytest

from .conftest import CHROMIUM_ARGS, DESKTOP, log_in  # noqa: F401 - CHROMIUM_ARGS documents the launch

pytestmark = pytest.mark.django_db(transaction=True)

# Runs in every page before its own scripts: remember each violation the browser reports.
WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + (e.sourceFile || document.location.pathname) + ':' + e.lineNumber + ' ' + (e.sample || ''));
});
"""


@pytest.fixture
def strict(browser, live_server):
    """A browser context that enforces the page's CSP; collects violations and console errors."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    page.console_errors = console
    yield page
    context.close()


def visit(page, path: str) -> None:
    """Open a page, check it was served with the CSP, and fail on any violation or console error."""
    response = page.goto(path)
    page.wait_for_load_state("networkidle")
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy, f"{path}: CSP header {policy!r}"
    assert_clean(page, path)


def assert_clean(page, where: str) -> None:
    violations = page.evaluate("() => window.__cspViolations")
    assert not violations, f"CSP violations on {where}: {violations}"
    assert not page.console_errors, f"console errors on {where}: {page.console_errors}"


def test_the_violation_watch_catches_an_inline_style(strict, live_server, clinic_setup):
    """The check below can fail: an inline style attribute added to a page is reported."""
    visit(strict, "/accounts/login/")
    strict.evaluate(
        "() => { document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>'); }"
    )
    strict.wait_for_timeout(200)
    assert any("style-src" in v for v in strict.evaluate("() => window.__cspViolations"))


def test_staff_pages_under_the_policy(strict, live_server, clinic_setup):
    from django.core.cache import cache

    from nervecare.outcomes.tests.conftest import course

    rosa = clinic_setup["client"]
    # Seven weekly sessions with pain before and after, so the outcome charts are drawn.
    course(rosa, clinic_setup["therapist"], [7, 7, 6, 6, 5, 4, 4], pain_after=[5, 5, 4, 4, 3, 3, 2])
    cache.clear()
    visit(strict, "/accounts/login/")
    log_in(strict, "alice")
    assert_clean(strict, "after signing in")
    for path in (
        "/",
        "/clients/",
        f"/clients/{rosa.id}/",
        f"/clients/{rosa.id}/body-map/",
        f"/clients/{rosa.id}/outcomes/",
        "/outcomes/",
        "/calendar/",
        "/book/",
        "/instruments/",
        "/api/v1/docs",
    ):
        visit(strict, path)
        if path.endswith("/outcomes/") and "clients" in path:
            assert strict.locator("main svg[role='img']").count() >= 1, (
                "no chart drawn on the client outcomes page"
            )
        if path == "/api/v1/docs":  # Swagger UI (ninja's vendored files) renders under the policy
            strict.locator(".swagger-ui .opblock").first.wait_for()

    # htmx: filtering the client list swaps rows in without a violation.
    visit(strict, "/clients/")
    with strict.expect_response(lambda r: "/clients/?" in r.url and r.request.headers.get("hx-request")):
        strict.locator("#q").fill("Rosa")
    strict.wait_for_timeout(300)
    assert strict.locator("#client-rows").get_by_text("Diaz").count() >= 1
    assert_clean(strict, "/clients/ after an htmx filter")

    # The calendar's pickers submit on change (the handler moved from onchange="" to autosubmit.js).
    visit(strict, "/calendar/")
    room = strict.locator("#room option").nth(1).get_attribute("value")
    with strict.expect_navigation():
        strict.select_option("#room", room)
    assert f"room={room}" in strict.url
    assert_clean(strict, "/calendar/ after choosing a room")


def test_portal_pages_under_the_policy(strict, live_server, clinic_setup):
    from nervecare.portal.tests.factories import ClientAccountFactory

    ClientAccountFactory(client=clinic_setup["client"], user__username="rosa")
    log_in(strict, "rosa")
    assert_clean(strict, "after signing in to the portal")
    for path in (
        "/portal/",
        "/portal/consent/",
        "/portal/diary/",
        "/portal/appointments/",
        "/portal/progress/",
    ):
        visit(strict, path)
