"""Lockout after repeated failed sign-ins (django-axes): wrong passwords and wrong two-step codes both count."""

import time
from io import StringIO

import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client as HttpClient
from django_otp.plugins.otp_totp.models import TOTPDevice

from nervecare.core.auth import mfa

PASSWORD = "correct-horse-battery"  # UserFactory's
LOCKED = "Too many failed attempts to sign in with this username from this device"


def sign_in(http, username="alice", password=PASSWORD, ip="10.0.0.1"):
    return http.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_username_on_that_address_for_15_minutes(therapist_user):
    http = HttpClient()
    for _ in range(4):
        response = sign_in(http, password="wrong password")
        assert response.status_code == 200
        assert "password didn't match" in response.content.decode().replace("&#x27;", "'")
    fifth = sign_in(http, password="wrong password")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode() and "locked for 15 minutes" in fifth.content.decode()
    # Now even the right password is refused, with the same clear message.
    right = sign_in(http)
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert "_auth_user_id" not in http.session
    # Another address is not locked (the pair username + IP address is), nor is another username here.
    assert sign_in(HttpClient(), ip="10.0.0.2").status_code == 302
    # After 15 minutes the lock lifts by itself.
    with time_machine.travel(time.time() + 16 * 60):
        assert sign_in(HttpClient()).status_code == 302


def test_axes_reset_lifts_a_lock(therapist_user):
    http = HttpClient()
    for _ in range(5):
        sign_in(http, password="wrong password")
    assert sign_in(http).status_code == 429
    call_command("axes_reset", stdout=StringIO())
    assert sign_in(http).status_code == 302


def test_wrong_two_step_codes_count_too_and_sign_the_session_out(therapist_user):
    device = TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    http = HttpClient()
    assert sign_in(http).status_code == 302
    now = time.time()
    right = mfa.current_code(device, at=now)
    wrong = "000000" if right != "000000" else "111111"
    for attempt in range(4):
        with time_machine.travel(now + attempt * 20, tick=False):  # past django-otp's own short throttle
            response = http.post("/accounts/mfa/verify/", {"code": wrong}, REMOTE_ADDR="10.0.0.1")
            assert response.status_code == 400
    with time_machine.travel(now + 100, tick=False):
        fifth = http.post("/accounts/mfa/verify/", {"code": wrong}, REMOTE_ADDR="10.0.0.1")
        assert fifth.status_code == 429 and LOCKED in fifth.content.decode()
        assert "_auth_user_id" not in http.session  # signed out
        assert AccessAttempt.objects.get(username="alice").failures_since_start == 5
        # The password is refused while locked, so the code step cannot be tried again either.
        assert sign_in(http).status_code == 429
