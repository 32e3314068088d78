"""Set-up writes: staff (invite, resend, deactivate, reactivate, second-factor reset) and therapists' profiles.
See nervecare/setup/services/__init__.py for the rules every service follows."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from nervecare.core.auth import mfa
from nervecare.core.errors import FieldErrors
from nervecare.core.models import ApiToken, Therapist, User
from nervecare.core.permissions import clinic_id_of, require_setup_admin
from nervecare.core.services import api_token_revoke, audit_record, model_changes
from nervecare.scheduling.models import Appointment, CalendarToken
from nervecare.setup import selectors
from nervecare.setup.services._checks import _USERNAME, _bounded
from nervecare.setup.tasks import send_staff_invite

# --- staff ---------------------------------------------------------------------------------------------------


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
