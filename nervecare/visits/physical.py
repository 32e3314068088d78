"""The therapist's physical measures at baseline and re-evaluations (issue 21): goniometer readings of the
joints the plan treats and the Timed Up and Go. Which movements, their published normal ranges and the TUG
cut-off are data (screening/data/measures.yaml); this module records and reads them."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.scheduling.models import Appointment
from nervecare.screening.measures import applicable_movements, client_facts, measure, measure_applies
from nervecare.visits.models import PhysicalMeasure

TUG = "tug"


def kinds() -> dict[str, str]:
    """Every kind a therapist may record, code -> title: the goniometer movements, then the TUG."""
    rom = measure("rom")
    return {**{code: mv.title for code, mv in rom.movements.items()}, TUG: measure(TUG).title}


def kinds_for(client: Client) -> dict[str, str]:
    """What the therapist is offered for this client: the movements of the joints that concern them (their
    body map and goals, screening/data/measures.yaml) and the TUG where balance concerns them; every kind when
    none does, so a measurement the therapist decides on can still be recorded."""
    facts = client_facts(client)
    movements = applicable_movements(client, facts)
    offered = {code: mv.title for code, mv in movements.items()}
    if measure_applies(client, TUG):
        offered[TUG] = measure(TUG).title
    return offered or kinds()


def _clean(data: dict[str, Any], client: Client) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    rom = measure("rom")
    kind = data.get("measurement")
    if kind not in kinds():
        errors["measurement"] = "choose a joint movement or the Timed Up and Go"
    context = data.get("context")
    if context not in PhysicalMeasure.Context.values:
        errors["context"] = "choose baseline or re-evaluation"
    raw = data.get("reading")
    value: Decimal | None = None
    try:
        value = None if raw is None or isinstance(raw, bool) or raw == "" else Decimal(str(raw))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors["reading"] = "enter a number"
    elif kind == TUG:
        tug = measure(TUG)
        if not tug.min <= value <= tug.max:
            errors["reading"] = f"seconds must be from {tug.min} to {tug.max}"
    elif kind in rom.movements and not rom.min <= value <= rom.max:
        errors["reading"] = f"degrees must be from {rom.min} to {rom.max}"
    side, mode = data.get("side") or "", data.get("mode") or ""
    if kind in rom.movements:
        if side not in ("left", "right"):
            errors["side"] = "choose left or right"
        if mode not in ("active", "passive"):
            errors["mode"] = "choose active or passive"
    elif kind == TUG:
        side, mode = "", ""
    measured_at = data.get("measured_at") or timezone.now()
    if not isinstance(measured_at, dt.datetime):
        errors["measured_at"] = "enter a date and time"
    elif timezone.is_naive(measured_at):
        errors["measured_at"] = "give the time zone"
    elif measured_at > timezone.now() + dt.timedelta(minutes=5):
        errors["measured_at"] = "cannot be in the future"
    elif measured_at.date() < client.date_of_birth:
        errors["measured_at"] = "cannot be before the client was born"
    appointment = None
    appointment_id = data.get("appointment_id")
    if appointment_id is not None:
        appointment = Appointment.objects.filter(pk=appointment_id, client=client).first()
        if appointment is None:
            errors["appointment_id"] = "not an appointment of this client"
    if errors:
        raise FieldErrors(errors)
    out.update(
        kind=kind,
        context=context,
        value=value.quantize(Decimal("0.1")) if value is not None else None,
        side=side,
        mode=mode,
        measured_at=measured_at,
        appointment=appointment,
        walking_aid=bool(data.get("walking_aid")) if kind == TUG else False,
    )
    return out


@transaction.atomic
def physical_measure_record(*, actor: User, client: Client, data: dict[str, Any]) -> PhysicalMeasure:
    """Record one goniometer reading or one Timed Up and Go for a client the actor may see (the caller
    fetched the client through clients.selectors.client_get_for_user). Bad input: FieldErrors by field."""
    require_clinical(actor)
    cleaned = _clean(data, client)
    row = PhysicalMeasure.objects.create(client=client, recorded_by=actor, **cleaned)
    audit_record(actor=actor, action="create", obj=row, summary=f"Physical measure {row.kind} recorded")
    return row


def physical_measures_for_client(client: Client) -> QuerySet[PhysicalMeasure]:
    """A client's physical measures, oldest first (the caller fetched the client through the rules)."""
    return PhysicalMeasure.objects.filter(client=client).order_by("measured_at", "id")


def physical_measure_as_dict(row: PhysicalMeasure) -> dict[str, Any]:
    rom = measure("rom")
    movement = rom.movements.get(row.kind)
    tug = measure(TUG)
    judged: dict[str, Any] = {}
    if movement is not None:
        judged = {
            "normal_range": [movement.normal_min, movement.normal_max],
            # A joint that bends to the top of its published range has its full normal range.
            "percent_of_normal": round(float(row.value) / movement.normal_max * 100, 1),
            "full_normal_range": float(row.value) >= movement.normal_max,
            "normal_range_source": rom.normal_ranges_source,
        }
    elif tug.cutoff is not None:
        judged = {
            "at_or_above_cutoff": tug.cutoff.met(row.value),
            "cutoff": float(tug.cutoff.value),
            "cutoff_source": tug.cutoff.source,
        }
    return {
        "id": row.id,
        "client_id": row.client_id,
        "appointment_id": row.appointment_id,
        "measurement": row.kind,
        "title": kinds().get(row.kind, row.kind),
        "context": row.context,
        "side": row.side,
        "mode": row.mode,
        "reading": float(row.value),
        "unit": "seconds" if row.kind == TUG else "degrees",
        "walking_aid": row.walking_aid,
        "measured_at": row.measured_at.isoformat(),
        **judged,
    }
