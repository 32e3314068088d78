"""Staff invitations: a one-time link to set a password, valid for INVITE_DAYS.

Django's password-reset token with its own salt: it hashes the user's password and last sign-in, so it stops
working as soon as the password is set (one use), and a reset link cannot be used as an invitation or back.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from nervecare.core.models import User

INVITE_DAYS = 7


class InviteTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "nervecare.setup.staff_invite"

    def check_token(self, user: User | None, token: str | None) -> bool:
        """Valid, and made at most INVITE_DAYS ago (the password-reset setting is for resets: one hour)."""
        if not (user and token) or "-" not in token:
            return False
        ts_b36 = token.split("-", 1)[0]
        try:
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in secrets
        ):
            return False
        return 0 <= self._num_seconds(self._now()) - ts <= INVITE_DAYS * 24 * 3600


invite_tokens = InviteTokenGenerator()


def invite_path(user: User) -> str:
    """The path of a fresh invitation link for `user` (no host)."""
    return reverse(
        "setup:invite_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invite_tokens.make_token(user),
        },
    )


def invite_link(user: User, base_url: str = "") -> str:
    base = base_url or getattr(settings, "NERVECARE_PUBLIC_URL", "") or "http://127.0.0.1:8000"
    return base.rstrip("/") + invite_path(user)
