"""Staff: invite by email (a one-time link through the job queue), deactivate (sessions and tokens end at
once, history kept), reset a colleague's second factor (admins only, audited)."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django_otp.plugins.otp_totp.models import TOTPDevice

from nervecare.conftest import login
from nervecare.core.models import AuditEvent, Therapist, User
from nervecare.core.services import api_token_create

pytestmark = pytest.mark.django_db


def _invite(http, django_capture_on_commit_callbacks, **kw):
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "email": "maria@example.org",
        "role": "therapist",
        **kw,
    }
    with django_capture_on_commit_callbacks(execute=True):
        return http.post("/setup/staff/invite/", data)


def _link(message) -> str:
    return re.search(r"https?://\S+/invite/\S+/", message.body).group(0)


def test_invited_therapist_gets_one_email_with_a_link_that_works_once(
    owner_http, clinic, django_capture_on_commit_callbacks
):
    response = _invite(owner_http, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    maria = User.objects.get(email="maria@example.org")
    assert (maria.role, maria.clinic_id, maria.is_superuser, maria.has_usable_password()) == (
        "therapist",
        clinic.id,
        False,
        False,
    )
    assert Therapist.objects.get(user=maria).display_name == "Maria Lopez"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maria@example.org"]
    path = "/" + _link(mail.outbox[0]).split("/", 3)[3]
    anonymous = HttpClient()
    assert anonymous.get(path).status_code == 200
    done = anonymous.post(
        path, {"new_password1": "a-long-new-password-9", "new_password2": "a-long-new-password-9"}
    )
    assert done.status_code == 302
    maria.refresh_from_db()
    assert maria.check_password("a-long-new-password-9")
    again = anonymous.post(
        path, {"new_password1": "other-password-123", "new_password2": "other-password-123"}
    )
    assert again.status_code == 404  # used: the link works once
    maria.refresh_from_db()
    assert maria.check_password("a-long-new-password-9")


def test_an_invitation_expires_after_seven_days(owner_http, django_capture_on_commit_callbacks):
    _invite(owner_http, django_capture_on_commit_callbacks)
    path = "/" + _link(mail.outbox[0]).split("/", 3)[3]
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=8)):
        assert HttpClient().get(path).status_code == 404


def test_bad_invitations_are_refused_by_field(owner_http, therapist_user, django_capture_on_commit_callbacks):
    therapist_user.email = "alice@example.org"
    therapist_user.save()
    r = _invite(
        owner_http, django_capture_on_commit_callbacks, email="alice@example.org", role="boss", first_name=""
    )
    assert r.status_code == 422
    errors = r.context["form"].errors
    assert {"role", "first_name"} <= set(errors)
    r = _invite(owner_http, django_capture_on_commit_callbacks, email="alice@example.org")
    assert "already" in " ".join(r.context["form"].errors["email"])
    assert not mail.outbox
    r = owner_http.post(
        "/api/v1/setup/staff",
        {"email": "nope", "first_name": "X", "role": "therapist"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "email"


def test_deactivation_ends_sessions_and_tokens_at_once_and_keeps_history(owner_http, therapist_user):
    session = login(therapist_user)
    assert session.get("/api/v1/me").status_code == 200
    token, plain = api_token_create(user=therapist_user, name="int", scopes=["schedule:read"])
    bearer = HttpClient(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert bearer.get("/api/v1/services").status_code == 200
    r = owner_http.post(
        f"/api/v1/setup/staff/{therapist_user.id}/deactivate", content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["sessions_ended"] >= 1 and r.json()["api_tokens_revoked"] == 1
    assert session.get("/api/v1/me").status_code == 401
    assert bearer.get("/api/v1/services").status_code == 401
    therapist_user.refresh_from_db()
    assert not therapist_user.is_active and not therapist_user.therapist.active
    assert User.objects.filter(pk=therapist_user.pk).exists()  # kept, with everything they did
    assert AuditEvent.objects.filter(
        object_type="core.user", object_id=str(therapist_user.pk), summary__contains="deactivated"
    ).exists()
    # and back
    assert owner_http.post(f"/setup/staff/{therapist_user.id}/reactivate/").status_code == 302
    therapist_user.refresh_from_db()
    assert therapist_user.is_active and therapist_user.therapist.active


def test_an_admin_cannot_deactivate_themself_or_the_last_admin(owner_http, owner):
    r = owner_http.post(f"/api/v1/setup/staff/{owner.id}/deactivate", content_type="application/json")
    assert r.status_code == 422 and "yourself" in r.json()["errors"][0]["message"]
    owner.refresh_from_db()
    assert owner.is_active


def test_second_factor_reset_is_admin_only_and_audited(owner_http, therapist_user, front_desk_user):
    TOTPDevice.objects.create(user=therapist_user, name="phone", confirmed=True)
    desk = login(front_desk_user)
    assert desk.post(f"/setup/staff/{therapist_user.id}/mfa-reset/").status_code == 403
    assert (
        desk.post(
            f"/api/v1/setup/staff/{therapist_user.id}/mfa-reset", content_type="application/json"
        ).status_code
        == 403
    )
    assert TOTPDevice.objects.filter(user=therapist_user).exists()
    r = owner_http.post(f"/api/v1/setup/staff/{therapist_user.id}/mfa-reset", content_type="application/json")
    assert r.status_code == 200 and r.json()["devices_removed"] == 1
    assert not TOTPDevice.objects.filter(user=therapist_user).exists()
    event = AuditEvent.objects.filter(object_type="core.user", object_id=str(therapist_user.pk)).latest("id")
    assert event.actor_username == "oona" and "Two-factor" in event.summary


def test_staff_actions_are_closed_to_api_tokens(owner, therapist_user):
    _token, plain = api_token_create(user=owner, name="int", scopes=["setup:read", "setup:write"])
    bearer = HttpClient(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert bearer.get("/api/v1/setup/staff").status_code == 200
    r = bearer.post(f"/api/v1/setup/staff/{therapist_user.id}/deactivate", content_type="application/json")
    assert r.status_code == 403
    therapist_user.refresh_from_db()
    assert therapist_user.is_active


def test_staff_page_lists_people_with_their_state(
    owner_http, therapist_user, django_capture_on_commit_callbacks
):
    _invite(owner_http, django_capture_on_commit_callbacks)
    page = owner_http.get("/setup/staff/").content.decode()
    assert "Invited" in page and "Active" in page and "alice" in page
