"""Writes of the clinic's set-up: one transaction each, validated here (the one place for pages and API), each
with its audit event. Every service asks `require_setup_admin` and works only inside the actor's clinic."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from nervecare.core.auth import mfa
from nervecare.core.errors import FieldErrors
from nervecare.core.models import ApiToken, Clinic, Therapist, User
from nervecare.core.permissions import clinic_id_of, require_setup_admin
from nervecare.core.services import api_token_revoke, audit_record, model_changes
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment, CalendarToken, Closure, Room, Service
from nervecare.screening.models import SafetyThresholds
from nervecare.screening.selectors import thresholds_for
from nervecare.setup import selectors
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


def _bounded(errors: dict[str, str], data: dict[str, Any], key: str, low: int, high: int, what: str) -> None:
    value = data.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[key] = f"{what} must be a whole number from {low:,} to {high:,}"


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


# --- staff ---------------------------------------------------------------------------------------------------

_USERNAME = re.compile(r"^[\w.@+-]{3,150}$")


def _free_username(wanted: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "staff"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


@transaction.atomic
def staff_invite(
    *,
    actor: User,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    username: str = "",
    base_url: str = "",
) -> User:
    """Add a colleague who chooses their own password through a one-time link emailed by the job queue. A
    therapist gets a profile at once (hours and services can be set up before they accept)."""
    require_setup_admin(actor)
    clinic_id = clinic_id_of(actor)
    email = (email or "").strip()
    first_name, last_name, username = (
        (first_name or "").strip(),
        (last_name or "").strip(),
        (username or "").strip(),
    )
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "enter a valid email address, like maria@example.org"
    else:
        if User.objects.filter(
            email__iexact=email, clinic_id=clinic_id, role__in=selectors.STAFF_ROLES
        ).exists():
            errors["email"] = "someone on the staff already has this email address"
    if not first_name or len(first_name) > 150:
        errors["first_name"] = "give the first name (up to 150 characters)"
    if len(last_name) > 150:
        errors["last_name"] = "the last name can be at most 150 characters"
    if role not in {r.value for r in selectors.STAFF_ROLES}:
        errors["role"] = "choose admin, therapist or front desk"
    if username:
        if not _USERNAME.match(username):
            errors["username"] = "3 to 150 letters, digits and . @ + - _ only"
        elif User.objects.filter(username__iexact=username).exists():
            errors["username"] = "this username is taken; choose another"
    if errors:
        raise FieldErrors(errors)
    user = User(
        username=username or _free_username(email.split("@")[0].lower()),
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        clinic_id=clinic_id,
    )
    user.set_unusable_password()
    user.save()
    if role == User.Role.THERAPIST:
        Therapist.objects.create(
            user=user, clinic_id=clinic_id, display_name=f"{first_name} {last_name}".strip()
        )
    audit_record(
        actor=actor,
        action="create",
        obj=user,
        summary=f"Invited {user.username} as {user.get_role_display()}",
        changes={"email": email, "role": role},
    )
    transaction.on_commit(lambda: send_staff_invite(user.pk, base_url))
    return user


@transaction.atomic
def staff_invite_resend(*, actor: User, staff: User, base_url: str = "") -> None:
    """Send the invitation again (a fresh link) to a colleague who has not chosen a password yet."""
    require_setup_admin(actor)
    if staff.has_usable_password():
        raise FieldErrors({"email": f"{staff.username} has already accepted the invitation"})
    if not staff.is_active:
        raise FieldErrors({"email": f"{staff.username} is deactivated; reactivate them first"})
    audit_record(
        actor=actor, action="update", obj=staff, summary=f"Invitation to {staff.username} sent again"
    )
    transaction.on_commit(lambda: send_staff_invite(staff.pk, base_url))


def sessions_end(user: User) -> int:
    """Sign the user out everywhere now: delete every session that carries their id."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def staff_deactivate(*, actor: User, staff: User) -> dict[str, int]:
    """Stop a colleague signing in, at once: their sessions end, their API tokens and calendar links are
    revoked. Everything they did stays (their notes, appointments and the audit trail keep their name)."""
    require_setup_admin(actor)
    if staff.pk == actor.pk:
        raise FieldErrors({"user_id": "you cannot deactivate yourself; ask another admin"})
    if not staff.is_active:
        raise FieldErrors({"user_id": f"{staff.username} is already deactivated"})
    if (
        staff.role == User.Role.ADMIN
        and not User.objects.filter(clinic_id=clinic_id_of(actor), role=User.Role.ADMIN, is_active=True)
        .exclude(pk=staff.pk)
        .exists()
    ):
        raise FieldErrors({"user_id": "the clinic needs at least one active admin"})
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    tokens = list(ApiToken.objects.filter(user=staff, revoked_at__isnull=True))
    for token in tokens:
        api_token_revoke(token=token, actor=actor)
    result = {"sessions": sessions_end(staff), "api_tokens": len(tokens), "calendar_links": 0, "future": 0}
    therapist = Therapist.objects.filter(user=staff).first()
    if therapist is not None:
        therapist.active = False
        therapist.save(update_fields=["active", "updated_at"])
        result["calendar_links"] = CalendarToken.objects.filter(
            therapist=therapist, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        result["future"] = Appointment.objects.filter(
            therapist=therapist, starts_at__gte=timezone.now(), status=Appointment.Status.BOOKED
        ).count()
    audit_record(
        actor=actor, action="update", obj=staff, summary=f"{staff.username} deactivated", changes=result
    )
    return result


@transaction.atomic
def staff_reactivate(*, actor: User, staff: User) -> User:
    require_setup_admin(actor)
    if staff.is_active:
        raise FieldErrors({"user_id": f"{staff.username} is active"})
    staff.is_active = True
    staff.save(update_fields=["is_active"])
    Therapist.objects.filter(user=staff).update(active=True, updated_at=timezone.now())
    audit_record(actor=actor, action="update", obj=staff, summary=f"{staff.username} reactivated")
    return staff


@transaction.atomic
def staff_mfa_reset(*, actor: User, staff: User) -> int:
    """A colleague lost their phone: remove their authenticator app and backup codes and sign them out; they
    set up a new app at their next sign-in. Audited (core.auth.mfa.mfa_reset records the event)."""
    require_setup_admin(actor)
    if staff.pk == actor.pk:
        raise FieldErrors({"user_id": "you cannot reset your own second factor; ask another admin"})
    removed = mfa.mfa_reset(staff, actor=actor)
    sessions_end(staff)
    return removed


# --- therapists' profiles ---------------------------------------------------------------------------------


@transaction.atomic
def therapist_profile_update(*, actor: User, therapist: Therapist, data: dict[str, Any]) -> Therapist:
    """Name shown to clients, years of experience, bio, and certifications [{code, expires_on}] (an expiry
    date is the last day it is valid; none: it does not expire)."""
    require_setup_admin(actor)
    errors: dict[str, str] = {}
    if "display_name" in data:
        data["display_name"] = (data["display_name"] or "").strip()
        if not data["display_name"] or len(data["display_name"]) > 200:
            errors["display_name"] = "give the name clients see (up to 200 characters)"
    _bounded(errors, data, "years_experience", 0, 70, "Years of experience")
    if "bio" in data and len(data["bio"] or "") > 2000:
        errors["bio"] = "the bio can be at most 2,000 characters"
    certs: list[str] = []
    expiry: dict[str, str] = {}
    if "certifications" in data:
        known = {q["code"]: q["label"] for q in selectors.qualifications()}
        for i, row in enumerate(data["certifications"] or []):
            code = row.get("code")
            if code not in known:
                errors[f"certifications[{i}].code"] = f"unknown training; choose one of {', '.join(known)}"
            elif code in certs:
                errors[f"certifications[{i}].code"] = f"{known[code]} is listed twice"
            else:
                certs.append(code)
                expires = row.get("expires_on")
                if expires is not None:
                    if not isinstance(expires, date) or not 1950 <= expires.year <= 2200:
                        errors[f"certifications[{i}].expires_on"] = (
                            "give the expiry as a date, like 2028-06-30"
                        )
                    else:
                        expiry[code] = expires.isoformat()
    if errors:
        raise FieldErrors(errors)
    before = {
        "display_name": therapist.display_name,
        "years_experience": therapist.years_experience,
        "bio": therapist.bio,
        "certifications": list(therapist.certifications),
        "certification_expiry": dict(therapist.certification_expiry or {}),
    }
    for key in ("display_name", "years_experience", "bio"):
        if key in data:
            setattr(therapist, key, data[key] or ("" if key != "years_experience" else 0))
    if "certifications" in data:
        therapist.certifications = certs
        therapist.certification_expiry = expiry
    therapist.save()
    after = {k: getattr(therapist, k) for k in before}
    changes = model_changes(before, after)
    if changes:
        audit_record(
            actor=actor, action="update", obj=therapist, summary="Therapist profile changed", changes=changes
        )
    return therapist


# --- services and rooms ------------------------------------------------------------------------------------

SERVICE_FIELDS = (
    "name",
    "code",
    "modality",
    "minutes",
    "buffer_minutes",
    "required_certifications",
    "description",
    "bookable_online",
    "active",
)


@transaction.atomic
def service_save(*, actor: User, data: dict[str, Any], service: Service | None = None) -> Service:
    """Add a service (service None) or change one: name, minutes, buffer, required training, online or not."""
    require_setup_admin(actor)
    clinic_id = clinic_id_of(actor)
    data = {k: v for k, v in data.items() if k in SERVICE_FIELDS}
    errors: dict[str, str] = {}
    name = (data.get("name", service.name if service else "") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = "give the service a name (up to 100 characters)"
    if "name" in data:
        data["name"] = name
    if service is None or "code" in data:
        code = slugify(data.get("code") or name)[:40]
        if not code:
            errors["code"] = "give a short code of letters and digits (or a name it can be made from)"
        data["code"] = code
    if service is None and "modality" not in data:
        data["modality"] = CarePlan.Modality.values[0]
    if "modality" in data and data["modality"] not in CarePlan.Modality.values:
        errors["modality"] = f"choose one of {', '.join(CarePlan.Modality.labels)}"
    if service is None and "minutes" not in data:
        errors["minutes"] = "give the session length in minutes (10 to 240)"
    _bounded(errors, data, "minutes", 10, 240, "The length (minutes)")
    _bounded(errors, data, "buffer_minutes", 0, 120, "The buffer (minutes)")
    if "required_certifications" in data:
        known = {q["code"] for q in selectors.qualifications()}
        wanted = list(dict.fromkeys(data["required_certifications"] or []))
        unknown = [c for c in wanted if c not in known]
        if unknown:
            errors["required_certifications"] = f"unknown training: {', '.join(map(str, unknown))}"
        data["required_certifications"] = wanted
    if len(data.get("description") or "") > 2000:
        errors["description"] = "the description can be at most 2,000 characters"
    if errors:
        raise FieldErrors(errors)
    clash = Service.objects.filter(
        clinic_id=clinic_id, code=data.get("code", service.code if service else "")
    )
    if service is not None:
        clash = clash.exclude(pk=service.pk)
    if clash.exists():
        raise FieldErrors(
            {"name" if service is None else "code": "the clinic already has a service with this name or code"}
        )
    creating = service is None
    target = service or Service(clinic_id=clinic_id)
    before = {k: getattr(target, k) for k in data} if not creating else {}
    for key, value in data.items():
        setattr(target, key, value)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as exc:
        raise FieldErrors({"name": "the clinic already has a service with this name or code"}) from exc
    audit_record(
        actor=actor,
        action="create" if creating else "update",
        obj=target,
        summary=f"Service {target.name} {'added' if creating else 'changed'}",
        changes=model_changes(before, data) if not creating else None,
    )
    return target


@transaction.atomic
def room_save(*, actor: User, data: dict[str, Any], room: Room | None = None) -> Room:
    require_setup_admin(actor)
    clinic_id = clinic_id_of(actor)
    errors: dict[str, str] = {}
    name = (data.get("name", room.name if room else "") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = "give the room a name (up to 100 characters)"
    elif (
        Room.objects.filter(clinic_id=clinic_id, name__iexact=name)
        .exclude(pk=room.pk if room else 0)
        .exists()
    ):
        errors["name"] = "the clinic already has a room with this name"
    if errors:
        raise FieldErrors(errors)
    creating = room is None
    target = room or Room(clinic_id=clinic_id)
    before = {"name": target.name, "active": target.active}
    target.name = name
    if "active" in data:
        target.active = bool(data["active"])
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as exc:
        raise FieldErrors({"name": "the clinic already has a room with this name"}) from exc
    audit_record(
        actor=actor,
        action="create" if creating else "update",
        obj=target,
        summary=f"Room {target.name} {'added' if creating else 'changed'}",
        changes=None if creating else model_changes(before, {"name": target.name, "active": target.active}),
    )
    return target


# --- closures and public holidays -------------------------------------------------------------------------

YEAR_MIN, YEAR_MAX = 2000, 2100


@transaction.atomic
def closure_add(*, actor: User, starts_on: date | None, ends_on: date | None, name: str) -> Closure:
    """Close the clinic for a day or a run of days (inclusive): nothing is offered or booked then."""
    require_setup_admin(actor)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 200:
        errors["name"] = "say why the clinic is closed (up to 200 characters), like Staff training"
    if starts_on is None:
        errors["starts_on"] = "give the first closed day"
    elif not YEAR_MIN <= starts_on.year <= YEAR_MAX:
        errors["starts_on"] = f"give a date between {YEAR_MIN} and {YEAR_MAX}"
    ends_on = ends_on or starts_on
    if ends_on is not None and starts_on is not None and "starts_on" not in errors:
        if ends_on < starts_on:
            errors["ends_on"] = "the last closed day cannot be before the first"
        elif (ends_on - starts_on).days > 366:
            errors["ends_on"] = "a closure can last at most a year"
    if errors:
        raise FieldErrors(errors)
    assert starts_on is not None and ends_on is not None
    clinic_id = clinic_id_of(actor)
    if Closure.objects.filter(clinic_id=clinic_id, starts_on=starts_on, name=name).exists():
        raise FieldErrors({"name": "this closure is already listed for that day"})
    closure = Closure.objects.create(
        clinic_id=clinic_id, starts_on=starts_on, ends_on=ends_on, name=name, created_by=actor
    )
    audit_record(
        actor=actor,
        action="create",
        obj=closure,
        summary=f"Closure {closure}",
        changes={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )
    return closure


@transaction.atomic
def closure_remove(*, actor: User, closure: Closure) -> None:
    require_setup_admin(actor)
    audit_record(
        actor=actor,
        action="delete",
        obj=closure,
        summary=f"Closure removed: {closure}",
        changes={"starts_on": closure.starts_on.isoformat(), "ends_on": closure.ends_on.isoformat()},
    )
    closure.delete()


@transaction.atomic
def holidays_import(*, actor: User, year: int) -> dict[str, Any]:
    """Add the public holidays of the clinic's country (and region) for a year as closures. Idempotent: a
    holiday already listed (same day and name) is not added again; a removed one comes back."""
    require_setup_admin(actor)
    clinic = Clinic.objects.select_for_update().get(pk=clinic_id_of(actor))
    if isinstance(year, bool) or not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        raise FieldErrors({"year": f"give a year from {YEAR_MIN} to {YEAR_MAX}"})
    if not clinic.country:
        raise FieldErrors({"country": "set the clinic's country in the clinic details first"})
    if clinic.country not in selectors.holiday_countries():
        raise FieldErrors({"country": f"the holiday calendar has no public holidays for {clinic.country}"})
    found = selectors.public_holidays(clinic.country, clinic.subdivision, year)
    existing = set(
        Closure.objects.filter(clinic=clinic, starts_on__year=year).values_list("starts_on", "name")
    )
    new = [
        Closure(
            clinic=clinic,
            starts_on=day,
            ends_on=day,
            name=name[:200],
            source=Closure.Source.HOLIDAY,
            created_by=actor,
        )
        for day, name in found
        if (day, name[:200]) not in existing
    ]
    Closure.objects.bulk_create(new)
    result = {
        "year": year,
        "added": len(new),
        "already_listed": len(found) - len(new),
        "holidays": len(found),
    }
    audit_record(
        actor=actor,
        action="update",
        obj=clinic,
        summary=f"Public holidays {year} imported ({clinic.country}{'-' + clinic.subdivision if clinic.subdivision else ''})",
        changes=result,
    )
    return result


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
