"""Searching the trail (the admin page, the CSV export and GET /api/v1/audit); reading it is recorded."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from nervecare.core.audit.chain import append, client_ip, enabled, seal
from nervecare.core.models import AuditEvent, User

if TYPE_CHECKING:
    pass


# --- searching (the admin page, the CSV export and GET /api/v1/audit) --------------------------------


@dataclass(frozen=True)
class SearchFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    client: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (str(v) if v is not None else None) for k, v in self.__dict__.items() if v not in ("", None)
        }


def search(*, clinic_id: int, tz_name: str, filters: SearchFilters) -> models.QuerySet[AuditEvent]:
    """One clinic's events matching the filters, newest first. Dates are whole days in the clinic's zone."""
    from zoneinfo import ZoneInfo

    qs = AuditEvent.objects.filter(clinic_id=clinic_id)
    if filters.actor:
        qs = qs.filter(actor_username=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.client is not None:
        qs = qs.filter(client_id=filters.client)
    tz = ZoneInfo(tz_name)
    if filters.date_from:
        qs = qs.filter(at__gte=datetime.datetime.combine(filters.date_from, datetime.time.min, tzinfo=tz))
    if filters.date_to:
        day_after = filters.date_to + datetime.timedelta(days=1)
        qs = qs.filter(at__lt=datetime.datetime.combine(day_after, datetime.time.min, tzinfo=tz))
    return qs.order_by("-at", "-id")


CSV_COLUMNS = (
    "id", "at", "actor_id", "actor_username", "action", "object_type", "object_id", "client_id", "summary",
    "changes", "ip_address", "chain", "seq", "prev_hash", "hash",
)  # fmt: skip


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(events: models.QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    """The header, then one row per event with the hash columns (the export can be re-verified)."""
    yield list(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield [_csv_cell(getattr(event, c)) for c in CSV_COLUMNS]


def audit_trail_read(*, actor: User, summary: str, filters: SearchFilters) -> AuditEvent | None:
    """Reading or exporting the trail is itself recorded, with the filters used. The clinic's pending events
    are sealed first, so what the admin sees and exports is the whole chain up to this read."""
    if not enabled():
        return None
    event = append(
        actor=actor,
        action=AuditEvent.Action.VIEW,
        object_type=AuditEvent._meta.label_lower,
        object_id="*",
        clinic_id=actor.clinic_id,
        summary=summary,
        changes={"filters": filters.as_dict()},
        ip_address=client_ip(),
    )
    seal(only=[event.chain])
    return event
