"""Small database functions the ORM lacks, written once for both databases (SQLite and PostgreSQL).

JSONList lets one statement carry a handful of child rows as a JSON array beside the row that needs them (the
booking's context: scheduling/booking_context.py), where separate reads would each cost a round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import Aggregate, JSONField


class JSONList(Aggregate):
    """The aggregated values as one JSON array (NULL when there are no rows): SQLite's JSON_GROUP_ARRAY,
    PostgreSQL's JSONB_AGG. Values built with JSONObject nest as objects on both."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def json_datetime(value: str | None) -> datetime | None:
    """A timestamp as JSONList carries it: PostgreSQL's ISO text with its offset, or SQLite's stored text (UTC
    without an offset, as Django writes it)."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def json_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


def json_time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)
