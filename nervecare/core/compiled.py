"""A read whose SQL Django compiles once per process, then runs with each request's values (issue 20).

Building and compiling a queryset (filter() resolving lookups, the compiler choosing columns, joins, converters)
costs a few milliseconds of CPU per statement: most of a hot read's time, not the database's. The SQL of a
selector's queryset is the same on every request but for its parameter values, so CompiledQuery builds the
queryset once (per database connection alias, vendor and *shape*) with sentinel values in place of the real ones,
keeps the compiled SQL, finds where each sentinel sits among the parameters, and afterwards only swaps the values
in and runs the statement through Django's cursor (so query counting, logging and transactions see it as usual).
Rows become model instances exactly as QuerySet iteration makes them (Model.from_db, select_related's related
objects, the fields' database converters).

The queryset stays the single source of truth: the selector's rule (e.g. clients_bookable_by) builds it, and
nothing here restates it. What the caller owes: the builder's branches depend only on the `shape` it is given
(e.g. the user's role), never on the values, and each value is used as a plain comparison value (=, <, >, IN)
of its kind. Both are checked when the query is first compiled: the builder runs with two different sets of
sentinels, and the SQL must be identical and differ only at the parameters where a sentinel was found (a value
inlined into the SQL or transformed raises ImproperlyConfigured; a shape may leave a value unused).

Supported kinds: int, str (exact) and datetime (aware; adapted for the database as DateTimeField values are).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, models, router
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=models.Model)

KINDS: tuple[type, ...] = (int, str, datetime.datetime)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _sentinels(kinds: dict[str, type], round_: int) -> dict[str, Any]:
    """Values no real row or request carries, distinct between parameters and between the two rounds."""
    values: dict[str, Any] = {}
    for i, (name, kind) in enumerate(kinds.items()):
        if kind is int:
            values[name] = -(7_340_000_000_000 + round_ * 1_000 + i)
        elif kind is str:
            values[name] = f"\x1fcompiled-query-sentinel-{round_}-{i}\x1f"
        else:
            values[name] = datetime.datetime(1901 + round_, 1, 1 + i, 3, 7, 11, tzinfo=datetime.UTC)
    return values


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (parameter position, value name)
    model: type[models.Model]
    init_list: tuple[str, ...]
    fields_start: int
    fields_end: int
    klass_info: dict[str, Any]
    select: list[Any]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    annotations: tuple[tuple[str, int], ...]


_EMPTY = object()  # the shape's queryset matches nothing (e.g. Client.objects.none()): no statement at all


class CompiledQuery(Generic[M]):
    """`build(shape, **values)` returns the queryset; `fetch(shape, **values)` its rows as model instances.

    `kinds` names each value and its kind (int, str or datetime.datetime)."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], **kinds: type) -> None:
        for name, kind in kinds.items():
            if kind not in KINDS:
                raise ImproperlyConfigured(f"CompiledQuery value {name!r}: kind {kind!r} is not supported.")
        self.build = build
        self.kinds = kinds
        self._plans: dict[tuple[Any, ...], _Plan | object] = {}
        self._lock = threading.Lock()

    # --- compiling (once per alias, vendor and shape) ------------------------------------------------------

    def _compile_once(self, queryset: models.QuerySet[M], alias: str) -> tuple[Any, str, tuple[Any, ...]]:
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        return compiler, sql, tuple(params)

    def _adapt(self, kind: type, value: Any, alias: str) -> Any:
        if kind is datetime.datetime:
            return connections[alias].ops.adapt_datetimefield_value(value)
        return value

    def _plan(self, shape: Hashable, alias: str) -> _Plan | object:
        vendor = connections[alias].vendor
        key = (alias, vendor, shape)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                plan = self._make_plan(shape, alias)
                self._plans[key] = plan
        return plan

    def _make_plan(self, shape: Hashable, alias: str) -> _Plan | object:
        rounds: list[tuple[Any, str, tuple[Any, ...], dict[str, Any]] | None] = []
        for round_ in (0, 1):
            values = _sentinels(self.kinds, round_)
            queryset = self.build(shape, **values)
            try:
                compiler, sql, params = self._compile_once(queryset, alias)
            except EmptyResultSet:
                rounds.append(None)
                continue
            adapted = {name: self._adapt(self.kinds[name], v, alias) for name, v in values.items()}
            rounds.append((compiler, sql, params, adapted))
        first, second = rounds
        if first is None or second is None:
            if first is None and second is None:
                return _EMPTY
            raise ImproperlyConfigured("CompiledQuery: the shape's queryset is empty for some values only.")
        (compiler, sql, params, adapted), (_c1, sql1, params1, adapted1) = first, second
        if sql != sql1 or len(params) != len(params1):
            raise ImproperlyConfigured(
                "CompiledQuery: the SQL depends on the values (a value inlined or a branch on it); "
                "put what decides the query's form in the shape."
            )
        slots = []
        for position, (p0, p1) in enumerate(zip(params, params1, strict=True)):
            names = [n for n, v in adapted.items() if type(v) is type(p0) and v == p0]
            if names:
                (name,) = names
                if adapted1[name] != p1:
                    raise ImproperlyConfigured(f"CompiledQuery: value {name!r} is transformed in the SQL.")
                slots.append((position, name))
            elif p0 != p1:
                raise ImproperlyConfigured(
                    f"CompiledQuery: parameter {position} varies with the values but is none of them "
                    "(a transformed value, e.g. a LIKE pattern, is not supported)."
                )

        select, klass_info = compiler.select, compiler.klass_info
        connection = connections[alias]
        fields = [s[0] for s in select[0 : compiler.col_count]]
        converters = []
        for position, expression in enumerate(fields):
            convs = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
            if convs:
                converters.append((position, tuple(convs), expression))
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Plan(
            sql=sql,
            params=params,
            slots=tuple(slots),
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            fields_start=start,
            fields_end=end,
            klass_info=klass_info,
            select=select,
            converters=tuple(converters),
            annotations=tuple((compiler.annotation_col_map or {}).items()),
        )

    # --- running -----------------------------------------------------------------------------------------

    def fetch(self, shape: Hashable = None, *, using: str | None = None, **values: Any) -> list[M]:
        """The rows of build(shape, **values), as iterating that queryset would return them."""
        if values.keys() != self.kinds.keys():
            raise TypeError(f"CompiledQuery.fetch needs exactly the values {sorted(self.kinds)}.")
        plan_model_alias = using
        if plan_model_alias is None:
            plan_model_alias = self._alias_for(shape)
        plan = self._plan(shape, plan_model_alias)
        if plan is _EMPTY:
            return []
        assert isinstance(plan, _Plan)
        for name, value in values.items():
            if value is None or not isinstance(value, self.kinds[name]):
                raise TypeError(f"CompiledQuery value {name!r} must be a {self.kinds[name].__name__}.")
            if isinstance(value, datetime.datetime) and value.tzinfo is None:
                raise TypeError(f"CompiledQuery value {name!r} must be an aware datetime.")
            if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
                # No column holds it; the ORM knows what each lookup makes of it (e.g. exact: no rows).
                return list(self.build(shape, **values).using(plan_model_alias))
        params = list(plan.params)
        for position, name in plan.slots:
            params[position] = self._adapt(self.kinds[name], values[name], plan_model_alias)
        connection = connections[plan_model_alias]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        return self._instances(plan, rows, plan_model_alias)

    def first(self, shape: Hashable = None, *, using: str | None = None, **values: Any) -> M | None:
        """The first row or None (the builder orders and limits the queryset as it wants)."""
        rows = self.fetch(shape, using=using, **values)
        return rows[0] if rows else None

    def _alias_for(self, shape: Hashable) -> str:
        model = getattr(self, "_model", None)
        if model is None:
            model = self.build(shape, **_sentinels(self.kinds, 0)).model
            self._model = model
        return router.db_for_read(model)

    def _instances(self, plan: _Plan, rows: list[Any], alias: str) -> list[M]:
        connection = connections[alias]
        # django-stubs describe a later Django's signature (fetch_mode); 5.2's is (klass_info, select, db).
        populators = get_related_populators(plan.klass_info, plan.select, alias)  # type: ignore[call-arg]
        objects = []
        start, end, init_list = plan.fields_start, plan.fields_end, list(plan.init_list)
        for raw in rows:
            row = list(raw)
            for position, convs, expression in plan.converters:
                value = row[position]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[position] = value
            obj = plan.model.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr_name, position in plan.annotations:
                setattr(obj, attr_name, row[position])
            objects.append(obj)
        return objects  # type: ignore[return-value]
