"""Set-up writes: services, rooms, closures and public holidays. See nervecare/setup/services/__init__.py for the
rules every service follows."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, User
from nervecare.core.permissions import clinic_id_of, require_setup_admin
from nervecare.core.services import audit_record, model_changes
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Closure, Room, Service
from nervecare.setup import selectors
from nervecare.setup.services._checks import _bounded

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
