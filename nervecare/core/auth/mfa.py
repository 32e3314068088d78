"""Two-factor authentication for staff: TOTP authenticator apps (django-otp) and one-time backup codes.

Staff (admin, therapist, front desk) must enrol a TOTP device and enter a code after their password before they
reach any staff page or the session-signed API (core/middleware.py StaffMfaRequiredMiddleware). Portal clients
are not asked. Bearer tokens for the API are issued by admins from the CLI and are not affected.
"""

import time
from base64 import b32encode
from binascii import unhexlify
from io import BytesIO
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import escape
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nervecare.core.models import User
from nervecare.core.services import audit_record

TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10
# The demo clinic's staff share this published secret (printed by `nervecare demo`), so a reviewer can add it
# to an authenticator app or ask `nervecare mfa code <username>`. Only devices with this exact key are demo
# devices; the CLI never prints a code for any other device.
DEMO_DEVICE_NAME = "NerveCare demo"
DEMO_TOTP_KEY_HEX = b"nervecare-demo-totp!".hex()  # 20 bytes, as django-otp's own keys


def mfa_required_for(user: Any) -> bool:
    """Staff must pass the two-factor step; portal clients need not. Anonymous users: nothing to check yet."""
    if not settings.NERVECARE_REQUIRE_MFA or not getattr(user, "is_authenticated", False):
        return False
    return user.role != User.Role.CLIENT or user.is_staff or user.is_superuser


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id").first()


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device this user is enrolling (a new random secret the first time)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).filter(confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it, in groups of four for reading aloud."""
    plain = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def qr_svg(text: str, label: str = "QR code") -> str:
    """A QR code for `text` as inline SVG markup, made here (no third-party request, no image file)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop any XML declaration: the SVG goes inside the HTML page
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def verify_code(user: User, code: str) -> tuple[Any, bool]:
    """Check a code against the user's confirmed TOTP device, then their one-time backup codes.

    Returns (device, throttled): the device the code matched (None if none did), and whether the check was
    refused because of too many wrong codes in a row (django-otp then makes the user wait 1, 2, 4, ... seconds
    between tries; every wrong code counts, on every device).
    """
    code = "".join(code.split())
    devices = _devices(user)
    if any(not device.verify_is_allowed()[0] for device in devices):
        return None, True
    for device in devices:
        if device.verify_token(code):
            return device, False
    return None, False


def _devices(user: User) -> list[Any]:
    devices: list[Any] = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
    devices += list(StaticDevice.objects.devices_for_user(user, confirmed=True))
    return devices


@transaction.atomic
def enrolment_confirm(request: HttpRequest, device: TOTPDevice) -> list[str]:
    """The user proved they hold the secret: confirm the device, issue backup codes, verify the session."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_replace(device.user)
    otp_login(request, device)
    audit_record(
        actor=device.user,
        action="create",
        obj=device.user,
        summary="Two-factor authentication set up",
    )
    return codes


@transaction.atomic
def backup_codes_replace(user: User) -> list[str]:
    """Replace the user's backup codes with ten new one-time codes (shown once, stored as issued)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def mfa_reset(user: User, actor: User | None = None) -> int:
    """Remove every two-factor device of `user` (lost phone): they enrol again at their next sign-in."""
    removed = TOTPDevice.objects.filter(user=user).count() + StaticDevice.objects.filter(user=user).count()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, action="delete", obj=user, summary="Two-factor devices reset")
    return removed


def demo_device_ensure(user: User) -> TOTPDevice:
    """A confirmed TOTP device with the published demo secret (idempotent). For `nervecare demo` only."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user,
        name=DEMO_DEVICE_NAME,
        defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
    )
    return device


def is_demo_device(device: TOTPDevice) -> bool:
    return device.key == DEMO_TOTP_KEY_HEX


def demo_secret_base32() -> str:
    return b32encode(unhexlify(DEMO_TOTP_KEY_HEX)).decode("ascii").rstrip("=")


def current_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the device's authenticator app shows now (or at `at`, seconds since the epoch)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"
