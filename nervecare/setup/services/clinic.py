"""Set-up writes: the clinic's details and booking rules, its safety thresholds, and a new clinic with its first
admin (the installation's operator, from the command line). See nervecare/setup/services/__init__.py for the
rules every service follows."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, User
from nervecare.core.permissions import clinic_id_of, require_setup_admin
from nervecare.core.services import audit_record, model_changes
from nervecare.screening.models import SafetyThresholds
from nervecare.screening.selectors import thresholds_for
from nervecare.setup import selectors
from nervecare.setup.services._checks import _USERNAME, _bounded
from nervecare.setup.tasks import send_staff_invite

# --- the clinic -------------------------------------------------------------------------------------------

CLINIC_FIELDS = (
    "name",
    "address",
    "phone",
    "email",
    "timezone",
    "country",
    "subdivision",
    "currency",
    "min_notice_hours",
    "booking_horizon_days",
    "cancellation_notice_hours",
    "online_booking_enabled",
)
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def clinic_errors(data: dict[str, Any]) -> dict[str, str]:
    """What is wrong with clinic details and booking rules, by field, in the owner's words."""
    import pycountry

    errors: dict[str, str] = {}
    if "name" in data and not (data["name"] or "").strip():
        errors["name"] = "give the clinic's name"
    elif len(data.get("name") or "") > 200:
        errors["name"] = "the name can be at most 200 characters"
    if len(data.get("address") or "") > 1000:
        errors["address"] = "the address can be at most 1,000 characters"
    phone = (data.get("phone") or "").strip()
    if phone and not _PHONE.match(phone):
        errors["phone"] = "enter a phone number: digits, spaces, + ( ) - only, 5 to 40 characters"
    email = (data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "enter a valid email address, like reception@example.org"
    if "timezone" in data and data["timezone"] not in _time_zones():
        errors["timezone"] = "choose a time zone from the list, like Europe/London"
    country = (data.get("country") or "").upper()
    if country and pycountry.countries.get(alpha_2=country) is None:
        errors["country"] = "choose a country from the list (two-letter ISO code, like GB)"
    subdivision = (data.get("subdivision") or "").upper()
    if subdivision:
        known = selectors.holiday_countries().get(country, [])
        if not country:
            errors["subdivision"] = "choose the country first"
        elif subdivision not in known:
            errors["subdivision"] = f"the holiday calendar knows no region {subdivision!r} in {country}" + (
                f"; choose one of {', '.join(known)}" if known else "; leave it empty"
            )
    if "currency" in data and pycountry.currencies.get(alpha_3=(data["currency"] or "").upper()) is None:
        errors["currency"] = "choose a currency from the list (ISO 4217 code, like EUR or GBP)"
    _bounded(errors, data, "min_notice_hours", 0, 24 * 60, "The minimum notice (hours)")
    _bounded(errors, data, "booking_horizon_days", 1, 730, "How far ahead (days)")
    _bounded(errors, data, "cancellation_notice_hours", 0, 24 * 60, "The cancellation notice (hours)")
    return errors


@transaction.atomic
def clinic_update(*, actor: User, data: dict[str, Any]) -> Clinic:
    """Change the clinic's details and booking rules (only the fields given)."""
    require_setup_admin(actor)
    data = {k: v for k, v in data.items() if k in CLINIC_FIELDS}
    for key in ("country", "subdivision", "currency"):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip().upper()
    for key in ("name", "address", "phone", "email"):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
    clinic = Clinic.objects.select_for_update().get(pk=clinic_id_of(actor))
    merged = {"country": clinic.country, "subdivision": clinic.subdivision, **data}
    if "country" in data and "subdivision" not in data and data["country"] != clinic.country:
        merged["subdivision"] = data["subdivision"] = ""  # a region of the old country means nothing
    errors = clinic_errors(merged)
    if errors:
        raise FieldErrors(errors)
    before = {k: getattr(clinic, k) for k in data}
    for key, value in data.items():
        setattr(clinic, key, value)
    clinic.save()
    changes = model_changes(before, data)
    if changes:
        audit_record(
            actor=actor, action="update", obj=clinic, summary="Clinic details changed", changes=changes
        )
    return clinic


# --- safety thresholds --------------------------------------------------------------------------------------

# A clinic may be stricter than the published limits, never looser (clinical-reference.md section 2: the
# published values are the safe limits), and not so strict that the number stops meaning anything.
THRESHOLD_LIMITS: dict[str, tuple[Decimal, Decimal, str]] = {
    "platelets_min_per_ul": (Decimal(50_000), Decimal(150_000), "The platelet threshold (per µL)"),
    "neutrophils_min_per_ul": (Decimal(500), Decimal(1_500), "The neutrophil threshold (per µL)"),
    "fever_min_celsius": (Decimal("37.5"), Decimal("38.0"), "The fever threshold (°C)"),
    "dvt_history_months": (Decimal(6), Decimal(24), "The DVT history window (months)"),
}
LOOSER = {
    "platelets_min_per_ul": "below",
    "neutrophils_min_per_ul": "below",
    "fever_min_celsius": "above",
    "dvt_history_months": "below",
}


def thresholds_errors(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, (low, high, what) in THRESHOLD_LIMITS.items():
        if key not in data:
            continue
        raw = data[key]
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors[key] = f"{what} must be a number"
            continue
        if isinstance(raw, bool) or not value.is_finite():
            errors[key] = f"{what} must be a number"
        elif key == "fever_min_celsius" and value != value.quantize(Decimal("0.1")):
            errors[key] = f"{what} takes one decimal place, like 38.0"
        elif key != "fever_min_celsius" and value != value.to_integral_value():
            errors[key] = f"{what} must be a whole number"
        elif not low <= value <= high:
            published = low if LOOSER[key] == "below" else high
            errors[key] = (
                f"{what} must be from {low:,} to {high:,}: the published safe limit is {published:,}, and a "
                f"clinic may be stricter, never looser"
            )
    policy = data.get("platelets_policy")
    if policy is not None and policy not in SafetyThresholds.PlateletPolicy.values:
        errors["platelets_policy"] = "choose gentle touch only (modify) or no massage (stop)"
    return errors


@transaction.atomic
def thresholds_update(*, actor: User, data: dict[str, Any]) -> SafetyThresholds:
    """Set the clinic's safety thresholds (the fields given); the safety rules read them at the next check."""
    require_setup_admin(actor)
    fields = [*THRESHOLD_LIMITS, "platelets_policy"]
    data = {k: v for k, v in data.items() if k in fields}
    errors = thresholds_errors(data)
    if errors:
        raise FieldErrors(errors)
    clinic_id = clinic_id_of(actor)
    row = SafetyThresholds.objects.select_for_update().filter(clinic_id=clinic_id).first()
    if row is None:
        row = thresholds_for(clinic_id)
    before = {k: getattr(row, k) for k in data}
    for key, value in data.items():
        if key == "fever_min_celsius":
            value = Decimal(str(value))
        elif key != "platelets_policy":
            value = int(Decimal(str(value)))
        setattr(row, key, value)
    row.save()
    changes = model_changes(before, {k: getattr(row, k) for k in data})
    if changes:
        audit_record(
            actor=actor, action="update", obj=row, summary="Safety thresholds changed", changes=changes
        )
    return row


# --- a new clinic (the installation's operator, from the command line) ----------------------------------


@transaction.atomic
def clinic_create(
    *,
    name: str,
    slug: str,
    time_zone: str,
    admin_username: str,
    admin_email: str,
    admin_first_name: str = "",
    admin_last_name: str = "",
    country: str = "",
    subdivision: str = "",
    currency: str = "USD",
) -> tuple[Clinic, User]:
    """A clinic and its first admin (a clinic member, never a superuser), who sets a password through the
    one-time invitation link. All or nothing: any error leaves no clinic and no user."""
    errors = clinic_errors(
        {
            "name": name,
            "timezone": time_zone,
            "country": country.upper(),
            "subdivision": subdivision.upper(),
            "currency": currency.upper(),
        }
    )
    slug = (slug or slugify(name or "")).strip()
    if not re.fullmatch(r"[-a-z0-9_]{1,50}", slug):
        errors["slug"] = "the short name may hold lower-case letters, digits, - and _ (1 to 50)"
    elif Clinic.objects.filter(slug=slug).exists():
        errors["slug"] = f"a clinic with the short name {slug!r} exists already"
    try:
        validate_email(admin_email or "")
    except ValidationError:
        errors["admin_email"] = "enter the admin's email address, like owner@example.org"
    if not _USERNAME.match(admin_username or ""):
        errors["admin_username"] = "3 to 150 letters, digits and . @ + - _ only"
    elif User.objects.filter(username__iexact=admin_username).exists():
        errors["admin_username"] = f"the username {admin_username!r} is taken"
    if errors:
        raise FieldErrors(errors)
    clinic = Clinic.objects.create(
        name=name.strip(),
        slug=slug,
        timezone=time_zone,
        country=country.upper(),
        subdivision=subdivision.upper(),
        currency=currency.upper(),
    )
    admin = User(
        username=admin_username,
        email=admin_email,
        first_name=admin_first_name,
        last_name=admin_last_name,
        role=User.Role.ADMIN,
        clinic=clinic,
    )
    admin.set_unusable_password()
    admin.save()
    audit_record(actor=None, action="create", obj=clinic, summary=f"Clinic {clinic.name} created")
    audit_record(actor=None, action="create", obj=admin, summary=f"First admin {admin.username} created")
    transaction.on_commit(lambda: send_staff_invite(admin.pk))
    return clinic, admin
