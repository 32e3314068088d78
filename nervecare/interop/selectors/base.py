"""Who is reading (Scope), a source of rows for a resource type, and search criteria."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.search import SearchError, parse_reference
from nervecare.scheduling.models import Service

Predicate = Callable[[Resource], bool]
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    """Who is reading: their clinic and its time zone (which notes they may open: notes_visible_to)."""

    user: User
    clinic_id: int
    tz: ZoneInfo
    ctx: mapping.Context = mapping.Context()
    # The clinic's services and therapists, read once (a handful of rows every appointment refers to).
    lookups: dict[str, dict[int, Any]] = field(default_factory=dict, compare=False, hash=False)

    def services(self) -> dict[int, Service]:
        if "services" not in self.lookups:
            self.lookups["services"] = {s.pk: s for s in Service.objects.filter(clinic_id=self.clinic_id)}
        return self.lookups["services"]

    def therapists(self) -> dict[int, Therapist]:
        if "therapists" not in self.lookups:
            self.lookups["therapists"] = {t.pk: t for t in Therapist.objects.filter(clinic_id=self.clinic_id)}
        return self.lookups["therapists"]

    def therapist_of_user(self, user_id: int | None) -> Therapist | None:
        if "by_user" not in self.lookups:
            self.lookups["by_user"] = {t.user_id: t for t in self.therapists().values()}
        return self.lookups["by_user"].get(user_id) if user_id is not None else None


def scope_for(user: User, site_url: str = "") -> Scope:
    """The caller's scope; only a clinic's therapists and admins may read clinical data."""
    require_clinical(user)
    clinic_id = clinic_id_of(user)
    clinic = Clinic.objects.only("timezone").get(pk=clinic_id)
    return Scope(
        user=user,
        clinic_id=clinic_id,
        tz=ZoneInfo(clinic.timezone),
        ctx=mapping.Context(site_url=site_url.rstrip("/")),
    )


@dataclass
class Criteria:
    """A source's share of a search: a database filter, and exact checks on the mapped resources."""

    q: Q = field(default_factory=Q)
    predicates: list[Predicate] = field(default_factory=list)

    def add(self, other: Criteria) -> None:
        self.q &= other.q
        self.predicates.extend(other.predicates)


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR search parameter type (string, date, token, reference)
    documentation: str


# --- sources ---------------------------------------------------------------------------------------------


def of_clinic(scope: Scope) -> Q:
    """Rows about a client whose record the caller may see (clients_visible_to: the clinic, and for a
    therapist only their own and shared clients)."""
    return Q(Exists(clients_visible_to(scope.user).filter(pk=OuterRef("client_id"))))


class Source:
    """Rows of one model that become resources of one type."""

    model: type[Model]
    clinic_field = "client__clinic_id"
    patient_field: str | None = "client_id"
    updated_field: str | None = "updated_at"

    def queryset(self, scope: Scope) -> QuerySet:
        if self.clinic_field == "client__clinic_id":
            # A correlated EXISTS rather than a join: the database then walks this table in key order and
            # checks each row's client, instead of gathering and sorting the whole clinic for every chunk.
            return self.model._default_manager.filter(of_clinic(scope))
        qs = self.model._default_manager.filter(**{self.clinic_field: scope.clinic_id})
        if self.model is Client:
            qs = qs.filter(Exists(clients_visible_to(scope.user).filter(pk=OuterRef("pk"))))
        elif self.patient_field == "client_id":
            # a client the caller may not see, or a deleted client: their rows (appointments) stay out of FHIR
            qs = qs.filter(of_clinic(scope))
        return qs

    def to_fhir(self, obj: Any, scope: Scope) -> list[Resource]:
        raise NotImplementedError

    def key(self, obj: Any) -> int:
        return obj.pk

    def parse_id(self, fhir_id: str) -> int | None:
        return int(fhir_id) if fhir_id.isdigit() and len(fhir_id) < 19 else None

    def client_id(self, obj: Any) -> int | None:
        return getattr(obj, self.patient_field) if self.patient_field else None

    def since_q(self, since: dt.datetime) -> Q:
        return Q(**{f"{self.updated_field}__gte": since}) if self.updated_field else Q()

    def get(self, scope: Scope, key: int) -> Any | None:
        return self.queryset(scope).filter(pk=key).first()

    def rows(self, scope: Scope, q: Q, after: int | None = None, chunk: int = 1000) -> Iterator[Any]:
        """Rows in key order from `after` (inclusive), read `chunk` at a time by keyset (pk > last)."""
        qs = self.queryset(scope).filter(q).order_by("pk")
        page = qs.filter(pk__gte=after) if after is not None else qs
        while True:
            batch = list(page[:chunk])
            yield from batch
            if len(batch) < chunk:
                return
            page = qs.filter(pk__gt=batch[-1].pk)

    # Search parameters every source understands. Others: param_<name> on the source.
    def param__id(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        keys = [k for k in (self.parse_id(v) for v in values) if k is not None]
        wanted = set(values)
        return Criteria(Q(pk__in=keys), [lambda r: r["id"] in wanted])

    def param_patient(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        if self.patient_field is None:
            raise SearchError("patient: not a search parameter of this resource type", "patient")
        ids = [v for v in (parse_reference(v, "Patient") for v in values) if v and v.isdigit()]
        return Criteria(Q(**{f"{self.patient_field}__in": [int(i) for i in ids]}) if ids else NOTHING)

    param_subject = param_patient


class ValuesSource(Source):
    """A source read with values() into light row objects instead of model instances: the busiest tables of
    a bulk export (a clinic has 24 or more sessions per client), where building models costs most."""

    columns: tuple[str, ...] = ()

    def make(self, row: dict[str, Any]) -> Any:
        return SimpleNamespace(pk=row["id"], **row)

    def complete(self, objs: list[Any]) -> None:
        """Attach what the chunk's rows need from other tables (one query per chunk)."""

    def rows(self, scope: Scope, q: Q, after: int | None = None, chunk: int = 1000) -> Iterator[Any]:
        qs = self.queryset(scope).filter(q).order_by("pk").values(*self.columns)
        page = qs.filter(pk__gte=after) if after is not None else qs
        while True:
            batch = [self.make(row) for row in page[:chunk]]
            self.complete(batch)
            yield from batch
            if len(batch) < chunk:
                return
            page = qs.filter(pk__gt=batch[-1].pk)

    def get(self, scope: Scope, key: int) -> Any | None:
        return next(self.rows(scope, Q(pk=key), chunk=1), None)
