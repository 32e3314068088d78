"""Sign-in pages in Chromium: password, two-step enrolment (QR code), wrong code, backup codes, later sign-in,
and password reset; each checked with axe at desktop and phone widths."""

from base64 import b32decode

from django_otp.oath import TOTP

from nervecare.web.tests.browser.conftest import PASSWORD, log_in, shoot


def test_two_step_sign_in_pages(page, clinic_setup):
    page.goto("/accounts/login/")
    shoot(page, "sign-in")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/accounts/mfa/setup/" in page.url
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    shoot(page, "mfa-setup")

    page.get_by_label("6-digit code").fill("12345")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and continue").click()
    assert "That code is not right" in page.locator("#code-error").inner_text()
    shoot(page, "mfa-setup-wrong-code")

    page.wait_for_timeout(1500)  # django-otp waits 1 s after a wrong code before it checks another
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    code = TOTP(b32decode(secret + "=" * (-len(secret) % 8))).token()
    page.get_by_label("6-digit code").fill(f"{code:06d}")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and continue").click()
    assert page.locator(".backup-codes li").count() == 10
    shoot(page, "mfa-backup-codes")
    with page.expect_navigation():
        page.get_by_role("link", name="I have saved them: continue").click()
    assert page.get_by_role("navigation", name="Main").is_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/accounts/mfa/verify/" in page.url
    shoot(page, "mfa-verify")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    log_in(page, "alice")  # the helper computes the next code from the device
    assert page.get_by_role("navigation", name="Main").is_visible()


def test_password_reset_pages(page, clinic_setup):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/accounts/password_reset/")
    shoot(page, "password-reset")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_url("**/accounts/password_reset/done/")
    assert page.get_by_role("heading", name="Check your email").is_visible()
    shoot(page, "password-reset-sent")
