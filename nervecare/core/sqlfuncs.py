"""Small database functions the ORM lacks, written once for both databases (SQLite and PostgreSQL).

JSONList lets one statement carry a handful of child rows as a JSON array beside the row that needs them (the
booking's context: scheduling/booking_context.py), where separate reads would each cost a round trip.
ModelColumns reads a model's row out of a hand-written statement, for the few hot reads whose ORM form costs
more to compile than to run (issue 20: the booking's context, the client a booking is for)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import Aggregate, JSONField, Model


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


class ModelColumns:
    """A model's row inside a hand-written statement: `select(alias)` lists its columns (every concrete field,
    in the model's order) and `read(row, at, connection)` makes the instance from them, through the same
    converters the ORM's compiler applies (SQLite's text timestamps and integer booleans, JSON text...).

    For the few hot reads where compiling the ORM's form costs more than the statement itself (issue 20): the
    statement is written once, the columns follow the model."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._pk = self.attnames.index(model._meta.pk.attname)
        self._converters: dict[str, list[list[tuple[Any, Any]]]] = {}

    def select(self, alias: str) -> str:
        return ", ".join(f'{alias}."{f.column}"' for f in self.fields)

    def _converters_for(self, connection: Any) -> list[list[tuple[Any, Any]]]:
        """Per column: the (converter, expression) pairs, as SQLCompiler.get_converters gives them."""
        found = self._converters.get(connection.alias)
        if found is None:
            found = []
            for f in self.fields:
                col = f.get_col(self.model._meta.db_table)
                pairs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                found.append([(c, col) for c in pairs])
            self._converters[connection.alias] = found
        return found

    def read(self, row: Sequence[Any], at: int, connection: Any) -> Any:
        """The instance whose columns start at `row[at]`; None when its primary key is NULL (an outer join
        that found no row)."""
        values = list(row[at : at + self.width])
        if values[self._pk] is None:
            return None
        for i, pairs in enumerate(self._converters_for(connection)):
            value = values[i]
            for converter, col in pairs:
                value = converter(value, col, connection)
            values[i] = value
        return self.model.from_db(connection.alias, self.attnames, values)


def json_rows(value: Any) -> list[Any]:
    """A JSONList column read by a hand-written statement: PostgreSQL's jsonb comes as text (Django loads it
    as text), SQLite's JSON as text; NULL (no rows) is an empty list."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str | bytes) else list(value)
