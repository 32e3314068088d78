"""Reads for the set-up pages and API: always within the admin's own clinic (another clinic's row is a 404)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import clinic_id_of, require_setup_admin
from nervecare.core.vocab import load_yaml
from nervecare.scheduling.models import AvailabilityException, Closure, Room, Service, WorkingHours

STAFF_ROLES = (User.Role.ADMIN, User.Role.THERAPIST, User.Role.FRONT_DESK)


def clinic_for_admin(user: User) -> Clinic:
    require_setup_admin(user)
    return Clinic.objects.get(pk=clinic_id_of(user))


def staff_for_admin(user: User) -> QuerySet[User]:
    """The clinic's people who sign in as staff (clients are not staff), with their therapist profile."""
    require_setup_admin(user)
    return (
        User.objects.filter(clinic_id=clinic_id_of(user), role__in=STAFF_ROLES)
        .select_related("therapist")
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def staff_get_for_admin(user: User, staff_id: int) -> User:
    return get_object_or_404(staff_for_admin(user), pk=staff_id)


def therapist_get_for_admin(user: User, therapist_id: int) -> Therapist:
    require_setup_admin(user)
    return get_object_or_404(
        Therapist.objects.select_related("user", "clinic"), pk=therapist_id, clinic_id=clinic_id_of(user)
    )


def services_for_admin(user: User) -> QuerySet[Service]:
    """Every service of the clinic, those no longer offered included."""
    require_setup_admin(user)
    return Service.objects.filter(clinic_id=clinic_id_of(user)).order_by("-active", "name")


def service_get_for_admin(user: User, service_id: int) -> Service:
    return get_object_or_404(services_for_admin(user), pk=service_id)


def rooms_for_admin(user: User) -> QuerySet[Room]:
    require_setup_admin(user)
    return Room.objects.filter(clinic_id=clinic_id_of(user)).order_by("-active", "name")


def room_get_for_admin(user: User, room_id: int) -> Room:
    return get_object_or_404(rooms_for_admin(user), pk=room_id)


def closures_for_admin(user: User, *, year: int | None = None) -> QuerySet[Closure]:
    require_setup_admin(user)
    qs = Closure.objects.filter(clinic_id=clinic_id_of(user)).order_by("starts_on", "name")
    if year is not None:
        qs = qs.filter(ends_on__year__gte=year, starts_on__year__lte=year)
    return qs


def closure_get_for_admin(user: User, closure_id: int) -> Closure:
    return get_object_or_404(closures_for_admin(user), pk=closure_id)


def hours_for_therapist(therapist: Therapist) -> list[WorkingHours]:
    return list(WorkingHours.objects.filter(therapist=therapist).order_by("weekday", "start"))


def time_off_for_therapist(therapist: Therapist) -> QuerySet[AvailabilityException]:
    """Time off and extra hours from today on (past ones are history, kept but not listed)."""
    return AvailabilityException.objects.filter(therapist=therapist, ends_at__gte=timezone.now()).order_by(
        "starts_at"
    )


def time_off_get_for_admin(user: User, exception_id: int) -> AvailabilityException:
    require_setup_admin(user)
    return get_object_or_404(
        AvailabilityException.objects.select_related("therapist"),
        pk=exception_id,
        therapist__clinic_id=clinic_id_of(user),
    )


# --- vocabularies ---------------------------------------------------------------------------------------


@cache
def qualifications() -> list[dict[str, str]]:
    """The trainings and certifications therapist matching knows (plans/data/plan_defaults.yaml)."""
    return [dict(q) for q in load_yaml("plans/data/plan_defaults.yaml")["qualifications"]]


def certification_rows(therapist: Therapist, today: date | None = None) -> list[dict[str, Any]]:
    """Each certification the therapist holds, with its expiry and whether it has expired (then it no longer
    counts for matching)."""
    today = today or timezone.localdate()
    labels = {q["code"]: q["label"] for q in qualifications()}
    expiry = therapist.certification_expiry or {}
    return [
        {
            "code": code,
            "label": labels.get(code, code),
            "expires_on": expiry.get(code),
            "expired": therapist.certification_expired(code, today),
        }
        for code in therapist.certifications
    ]


@cache
def holiday_countries() -> dict[str, list[str]]:
    """{ISO 3166-1 alpha-2: [subdivision codes]} the public-holiday calendar (`holidays`) supports."""
    import holidays

    return {
        code: list(subdivs) for code, subdivs in holidays.list_supported_countries().items() if len(code) == 2
    }


@cache
def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country, by name."""
    import pycountry

    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


def subdivision_name(country: str, code: str) -> str:
    import pycountry

    sub = pycountry.subdivisions.get(code=f"{country}-{code}")
    return sub.name if sub is not None else code


@cache
def subdivision_choices() -> list[tuple[str, str]]:
    """Every region the holiday calendar knows, as ("GB-ENG", "United Kingdom: England")."""
    names = dict(country_choices())
    out = []
    for country, subdivs in holiday_countries().items():
        for code in subdivs:
            out.append(
                (f"{country}-{code}", f"{names.get(country, country)}: {subdivision_name(country, code)}")
            )
    return sorted(out, key=lambda c: c[1])


@cache
def currency_choices() -> list[tuple[str, str]]:
    import pycountry

    return sorted(((c.alpha_3, f"{c.alpha_3} – {c.name}") for c in pycountry.currencies), key=lambda c: c[0])


def public_holidays(country: str, subdivision: str, year: int) -> list[tuple[date, str]]:
    """The public holidays of a country (and region) in a year, from the maintained `holidays` calendar."""
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return sorted(calendar.items())


def setup_progress(user: User) -> dict[str, Any]:
    """What the owner has set up so far (the set-up home page's checklist)."""
    clinic = clinic_for_admin(user)
    therapists = Therapist.objects.filter(clinic=clinic, active=True)
    return {
        "clinic": clinic,
        "details": bool(clinic.address and clinic.phone and clinic.country),
        "staff": staff_for_admin(user).filter(is_active=True).count(),
        "therapists": therapists.count(),
        "with_hours": therapists.filter(working_hours__isnull=False).distinct().count(),
        "services": Service.objects.filter(clinic=clinic, active=True).count(),
        "rooms": Room.objects.filter(clinic=clinic, active=True).count(),
        "closures": Closure.objects.filter(clinic=clinic, ends_on__gte=timezone.localdate()).count(),
    }
