"""Passwords: stored with Argon2, and reset by email without telling strangers which addresses exist."""

import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import Client as HttpClient
from django.test import override_settings

from nervecare.core.models import User
from nervecare.core.tests.factories import UserFactory

REAL_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@override_settings(PASSWORD_HASHERS=REAL_HASHERS)  # the suite uses a fast hasher; these are the settings'
def test_a_new_password_is_stored_with_argon2(clinic):
    from nervecare import settings as real_settings

    assert real_settings.PASSWORD_HASHERS == REAL_HASHERS
    user = UserFactory(clinic=clinic)
    user.set_password("a quiet walk by the river")
    user.save()
    stored = User.objects.get(pk=user.pk).password
    assert stored.startswith("argon2$argon2id$")
    assert identify_hasher(stored).algorithm == "argon2"
    assert user.check_password("a quiet walk by the river")


@pytest.fixture
def maria(clinic):
    return UserFactory(username="maria", email="maria@riverside.example", clinic=clinic, role="therapist")


def test_the_login_page_links_to_password_reset(db):
    page = HttpClient().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in page and "Forgot your password?" in page
    assert "style=" not in page


def test_password_reset_by_email_then_sign_in_with_the_new_password(maria):
    http = HttpClient()
    form = http.get("/accounts/password_reset/")
    assert form.status_code == 200 and 'for="id_email"' in form.content.decode()
    sent = http.post("/accounts/password_reset/", {"email": "maria@riverside.example"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maria@riverside.example"] and message.subject == "Reset your NerveCare password"
    assert "Your username is: maria" in message.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    page = http.get(link, follow=True)  # Django swaps the token for a session key
    set_url = page.redirect_chain[-1][0]
    assert "Choose a new password" in page.content.decode()
    # The password validators apply, and their errors are shown against the field.
    weak = http.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200
    errors = weak.context["form"].errors["new_password2"]
    assert any("too short" in e for e in errors) and any("entirely numeric" in e for e in errors)
    assert "This password is too short" in weak.content.decode()
    mismatch = http.post(set_url, {"new_password1": "lanterns over the bay", "new_password2": "lanterns"})
    assert "The two password fields didn" in mismatch.context["form"].errors["new_password2"][0]

    done = http.post(
        set_url, {"new_password1": "lanterns over the bay", "new_password2": "lanterns over the bay"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert "_auth_user_id" not in http.session  # no sign-in by email link alone: password + two-step code
    signed_in = http.post("/accounts/login/", {"username": "maria", "password": "lanterns over the bay"})
    assert signed_in.status_code == 302
    assert http.get("/").url.startswith("/accounts/mfa/setup/")  # the two-step check still stands
    # The link works once.
    assert "This link has expired" in http.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(maria):
    known = HttpClient().post("/accounts/password_reset/", {"email": "maria@riverside.example"})
    unknown = HttpClient().post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert len(mail.outbox) == 1  # only Maria's
    done = HttpClient().get(unknown["Location"]).content.decode()
    assert "If the address you entered belongs to a NerveCare account" in done


def test_a_malformed_address_is_named(db):
    response = HttpClient().post("/accounts/password_reset/", {"email": "not an address"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Enter a valid email address."]
    assert "Enter a valid email address." in response.content.decode()
