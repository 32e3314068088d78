"""Two-step sign-in for staff, through the real pages: password, then enrolment (QR code) or a code."""

import re
import time
from base64 import b32decode
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nervecare.core.auth import mfa
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # UserFactory's


def sign_in(http: HttpClient, username: str, password: str = PASSWORD, next_url: str = "/"):
    return http.post("/accounts/login/", {"username": username, "password": password, "next": next_url})


def code_for(device: TOTPDevice, at: float | None = None) -> str:
    return mfa.current_code(device, at=at)


def secret_on_page(html: str) -> bytes:
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    return b32decode(secret + "=" * (-len(secret) % 8))


def test_first_staff_sign_in_enrols_an_authenticator_app_with_a_qr_code(therapist_user):
    http = HttpClient()
    response = sign_in(http, "alice", next_url="/clients/")
    assert response.status_code == 302
    # The password alone reaches no staff page: the first time, it leads to enrolment, keeping where to go.
    page = http.get("/clients/")
    assert page.status_code == 302 and page["Location"] == "/accounts/mfa/setup/?next=%2Fclients%2F"
    setup = http.get(page["Location"])
    html = setup.content.decode()
    assert setup.status_code == 200
    assert "<svg" in html and "<?xml" not in html  # the QR code, drawn on the server, inline
    assert not re.search(r'(src|href|action)="(https?:)?//', html)  # nothing loaded from elsewhere
    assert "style=" not in html and "<script>" not in html  # a strict CSP allows neither
    key = secret_on_page(html)
    device = TOTPDevice.objects.get(user=therapist_user)
    assert not device.confirmed and key == device.bin_key

    # A wrong code: the page says what is wrong with which field, and nothing is confirmed.
    wrong = http.post(
        "/accounts/mfa/setup/", {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert wrong.context["form"].errors["code"] == [
        "That code is not right. Enter the 6-digit code your authenticator app shows now."
    ]
    assert 'for="id_code"' in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert http.get("/clients/").status_code == 302

    # The code an app computes from the secret on the page (after django-otp's 1-second wait).
    with time_machine.travel(time.time() + 2, tick=False):
        app_code = TOTP(key).token()
        done = http.post("/accounts/mfa/setup/", {"code": f"{app_code:06d}", "next": "/clients/"})
        assert done.status_code == 200
        codes = done.context["codes"]
        assert len(codes) == 10 and all(c in done.content.decode() for c in codes)
        device.refresh_from_db()
        assert device.confirmed
        assert http.get("/clients/").status_code == 200
    assert AuditEvent.objects.filter(
        summary="Two-factor authentication set up", actor=therapist_user
    ).exists()


def test_later_sign_ins_ask_for_the_code_and_enrolment_is_closed(therapist_user):
    device = TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    http = HttpClient()
    sign_in(http, "alice")
    page = http.get("/")
    assert page["Location"] == "/accounts/mfa/verify/?next=%2F"
    # With a device already confirmed, a password alone cannot enrol another phone.
    assert http.get("/accounts/mfa/setup/")["Location"].startswith("/accounts/mfa/verify/")
    assert http.post("/accounts/mfa/setup/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=therapist_user).count() == 1

    verify = http.get("/accounts/mfa/verify/?next=/clients/")
    assert verify.status_code == 200 and 'autocomplete="one-time-code"' in verify.content.decode()
    empty = http.post("/accounts/mfa/verify/", {"code": ""})
    assert empty.context["form"].errors["code"] == ["Enter the 6-digit code your authenticator app shows."]
    with time_machine.travel(time.time() + 2, tick=False):
        ok = http.post("/accounts/mfa/verify/", {"code": code_for(device), "next": "/clients/"})
        assert ok.status_code == 302 and ok["Location"] == "/clients/"
        assert http.get("/clients/").status_code == 200


def test_the_code_step_rejects_replays_and_foreign_next_urls(therapist_user):
    device = TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    now = time.time()
    first, second = HttpClient(), HttpClient()
    sign_in(first, "alice")
    sign_in(second, "alice")
    with time_machine.travel(now, tick=False):
        code = code_for(device)
        ok = first.post("/accounts/mfa/verify/", {"code": code, "next": "https://evil.example/"})
        assert ok["Location"] == "/"  # never sent off-site
        replay = second.post("/accounts/mfa/verify/", {"code": code})
        assert replay.status_code == 400  # a code works once


@pytest.mark.parametrize("target", ["-1", "core:home", "NaN"])
def test_a_next_that_is_not_a_path_signs_in_to_the_home_page_not_a_500(therapist_user, target):
    """redirect() reads a bare word as a view's name: `next=-1` was a 500 (NoReverseMatch)."""
    device = TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    http = HttpClient()
    sign_in(http, "alice")
    with time_machine.travel(time.time(), tick=False):
        ok = http.post("/accounts/mfa/verify/", {"code": code_for(device), "next": target})
    assert ok.status_code == 302 and ok["Location"] == "/"


def test_a_backup_code_signs_in_once(therapist_user):
    TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    codes = mfa.backup_codes_replace(therapist_user)
    http = HttpClient()
    sign_in(http, "alice")
    assert http.post("/accounts/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert http.get("/clients/").status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    assert StaticToken.objects.filter(device__user=therapist_user).count() == 9


def test_wrong_codes_are_throttled_by_the_device(therapist_user):
    device = TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    http = HttpClient()
    sign_in(http, "alice")
    now = time.time()
    with time_machine.travel(now, tick=False):
        right = code_for(device)
        wrong = "000000" if right != "000000" else "111111"
        assert http.post("/accounts/mfa/verify/", {"code": wrong}).status_code == 400
        # Straight after a wrong code even the right one is refused: django-otp's throttle (1 s, 2 s, 4 s, ...).
        throttled = http.post("/accounts/mfa/verify/", {"code": right})
        assert throttled.status_code == 400
        assert "Too many wrong codes in a row" in throttled.context["form"].errors["code"][0]
    with time_machine.travel(now + 2, tick=False):
        assert http.post("/accounts/mfa/verify/", {"code": code_for(device)}).status_code == 302


def test_portal_clients_are_not_asked_for_a_code(clinic):
    UserFactory(username="rosa@example.org", clinic=clinic, role="client")
    http = HttpClient()
    assert sign_in(http, "rosa@example.org").status_code == 302
    assert http.get("/").status_code == 302 and http.get("/").url == "/portal/"
    assert http.get("/accounts/mfa/setup/").url == "/"
    assert not TOTPDevice.objects.exists()


@pytest.mark.parametrize("role", ["admin", "therapist", "front_desk"])
def test_every_staff_role_is_held_at_the_code_step(clinic, role):
    user = UserFactory(username="staff", clinic=clinic, role=role)
    http = HttpClient()
    http.force_login(user, otp_verified=False)
    assert http.get("/calendar/" if role == "front_desk" else "/clients/").url.startswith(
        "/accounts/mfa/setup/"
    )
    assert http.get("/admin/").url.startswith("/accounts/mfa/setup/")


def test_unverified_sessions_get_a_json_401_from_the_api_but_bearer_tokens_work(therapist_user):
    from nervecare.core.services import api_token_create

    http = HttpClient()
    http.force_login(therapist_user, otp_verified=False)
    response = http.get("/api/v1/clients")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Finish signing in first")
    assert response.json()["errors"] == []
    _token, plain = api_token_create(user=therapist_user, name="cli", scopes=["clients:read"])
    with_token = HttpClient().get("/api/v1/clients", headers={"Authorization": f"Bearer {plain}"})
    assert with_token.status_code == 200
    # The half-signed-in session does not stand in for a wrong token.
    bad = http.get("/api/v1/clients", headers={"Authorization": "Bearer nc_wrong"})
    assert bad.status_code == 401


def test_htmx_requests_of_an_unverified_session_redirect_the_whole_page(therapist_user):
    http = HttpClient()
    http.force_login(therapist_user, otp_verified=False)
    response = http.get("/clients/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"})
    assert response["HX-Redirect"] == "/accounts/mfa/setup/?next=%2F"


def test_password_reset_and_sign_out_stay_open_to_an_unverified_session(therapist_user):
    http = HttpClient()
    http.force_login(therapist_user, otp_verified=False)
    assert http.get("/accounts/password_reset/").status_code == 200
    assert http.post("/accounts/logout/").status_code == 302
    assert http.get("/clients/").url.startswith("/accounts/login/")


@override_settings(NERVECARE_REQUIRE_MFA=False)
def test_the_requirement_can_be_switched_off(therapist_user):
    http = HttpClient()
    sign_in(http, "alice")
    assert http.get("/clients/").status_code == 200


def test_the_cli_resets_a_lost_device_and_shows_codes_only_for_demo_devices(therapist_user):
    device = TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    mfa.backup_codes_replace(therapist_user)
    with pytest.raises(CommandError, match="not a demo device"):
        call_command("mfa", "code", "alice", stdout=StringIO())
    with pytest.raises(CommandError, match="no user"):
        call_command("mfa", "reset", "nobody", stdout=StringIO())
    out = StringIO()
    call_command("mfa", "status", "alice", stdout=out)
    assert "authenticator app set up; 10 backup codes left" in out.getvalue()
    out = StringIO()
    call_command("mfa", "reset", "alice", stdout=out)
    assert "Removed 2" in out.getvalue()
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.filter(
        summary="Two-factor devices reset", object_id=str(therapist_user.pk)
    ).exists()
    # At the next sign-in Alice enrols a new phone.
    http = HttpClient()
    sign_in(http, "alice")
    assert http.get("/").url.startswith("/accounts/mfa/setup/")


def test_demo_staff_have_a_demo_device_whose_code_the_cli_prints(therapist_user):
    device = mfa.demo_device_ensure(therapist_user)
    assert mfa.demo_device_ensure(therapist_user) == device  # idempotent
    out = StringIO()
    now = time.time()
    with time_machine.travel(now, tick=False):
        call_command("mfa", "code", "alice", stdout=out)
        printed = out.getvalue().strip()
        assert printed == f"{TOTP(device.bin_key).token():06d}"
        http = HttpClient()
        sign_in(http, "alice")
        assert http.post("/accounts/mfa/verify/", {"code": printed}).status_code == 302
    # The key `nervecare demo` prints is the device's: an authenticator app given it shows the same codes.
    secret = mfa.demo_secret_base32()
    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
