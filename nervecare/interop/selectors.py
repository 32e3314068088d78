"""Reads for the FHIR API and the bulk export: which rows each resource type is made from, who may see
them, how search parameters filter them, and keyset paging over them (never OFFSET).

A resource type is made from one or more sources (Observation: screening totals, session-note ratings and
intake ratings). A source is a queryset scoped to the caller's clinic (and, for session notes, to the notes
the caller may open) plus the mapping that turns one row into its resources. Rows are always read in
primary-key order, a chunk at a time, so memory stays flat however large the clinic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404

from nervecare.clients.models import Client, Condition
from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.interop import codes, mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.models import PatientIdentifier
from nervecare.interop.search import (
    Cursor,
    SearchError,
    Token,
    parse_date,
    parse_reference,
    parse_token,
    split_values,
)
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment, Service
from nervecare.screening.instruments import all_definitions
from nervecare.screening.models import InstrumentResponse, SafetyFlag
from nervecare.visits.models import NOTE_FIELDS, RATING_FIELDS, NoteAmendment, SessionNote
from nervecare.visits.selectors import notes_visible_to

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


def _of_clinic(scope: Scope) -> Q:
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
            return self.model._default_manager.filter(_of_clinic(scope))
        qs = self.model._default_manager.filter(**{self.clinic_field: scope.clinic_id})
        if self.model is Client:
            qs = qs.filter(Exists(clients_visible_to(scope.user).filter(pk=OuterRef("pk"))))
        elif self.patient_field == "client_id":
            # a client the caller may not see, or a deleted client: their rows (appointments) stay out of FHIR
            qs = qs.filter(_of_clinic(scope))
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


class PatientSource(Source):
    model = Client
    clinic_field = "clinic_id"
    patient_field = "pk"

    def queryset(self, scope: Scope) -> QuerySet:
        return super().queryset(scope).prefetch_related("fhir_identifiers")

    def to_fhir(self, obj: Client, scope: Scope) -> list[Resource]:
        ids = [(i.system, i.value) for i in obj.fhir_identifiers.all()]
        return [mapping.patient(obj, ids, scope.ctx)]

    def client_id(self, obj: Any) -> int:
        return obj.pk

    def _string(self, fields: tuple[str, ...], modifier: str, values: list[str]) -> Criteria:
        lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}.get(modifier)
        if lookup is None:
            raise SearchError(f"the :{modifier} modifier is not supported on names")
        q = Q(pk__in=[])
        for value in values:
            for name in fields:
                q |= Q(**{f"{name}__{lookup}": value})
        return Criteria(q)

    def param_name(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        return self._string(("first_name", "last_name"), modifier, values)

    def param_family(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        return self._string(("last_name",), modifier, values)

    def param_given(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        return self._string(("first_name",), modifier, values)

    def param_birthdate(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        q = Q(pk__in=[])
        for value in values:
            q |= parse_date(value, scope.tz, "birthdate").q_date("date_of_birth")
        return Criteria(q)

    def param_identifier(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        q = Q(pk__in=[])
        for token in map(parse_token, values):
            if token.system in (None, codes.SID_CLIENT) and token.code and token.code.isdigit():
                q |= Q(pk=int(token.code))
            if token.system != codes.SID_CLIENT and token.code:
                others = PatientIdentifier.objects.filter(client=OuterRef("pk"), value=token.code)
                if token.system is not None:
                    others = others.filter(system=token.system)
                q |= Q(Exists(others))
        return Criteria(q)


class DocumentReferenceSource(Source):
    model = Client
    clinic_field = "clinic_id"
    patient_field = "pk"

    def to_fhir(self, obj: Client, scope: Scope) -> list[Resource]:
        return [mapping.document_reference(obj, scope.ctx)]

    def parse_id(self, fhir_id: str) -> int | None:
        return super().parse_id(fhir_id.removeprefix("report-")) if fhir_id.startswith("report-") else None

    def client_id(self, obj: Any) -> int:
        return obj.pk


class PractitionerSource(Source):
    model = Therapist
    clinic_field = "clinic_id"
    patient_field = None

    def to_fhir(self, obj: Therapist, scope: Scope) -> list[Resource]:
        return [mapping.practitioner(obj)]


class OrganizationSource(Source):
    model = Clinic
    clinic_field = "pk"
    patient_field = None

    def to_fhir(self, obj: Clinic, scope: Scope) -> list[Resource]:
        return [mapping.organization(obj)]


class QuestionnaireSource(Source):
    """The instrument definitions (data files, not rows): keyed by their place in code order."""

    patient_field = None
    updated_field = None

    @staticmethod
    def _codes() -> list[str]:
        return sorted(all_definitions())

    def to_fhir(self, obj: Any, scope: Scope) -> list[Resource]:
        return [mapping.questionnaire(obj)]

    def key(self, obj: Any) -> int:
        return self._codes().index(obj.code) + 1

    def parse_id(self, fhir_id: str) -> int | None:
        code = fhir_id.replace("-", "_")
        return self._codes().index(code) + 1 if code in all_definitions() else None

    def get(self, scope: Scope, key: int) -> Any | None:
        names = self._codes()
        return all_definitions()[names[key - 1]] if 0 < key <= len(names) else None

    def rows(self, scope: Scope, q: Q, after: int | None = None, chunk: int = 1000) -> Iterator[Any]:
        definitions = all_definitions()
        for position, code in enumerate(self._codes(), 1):
            if after is None or position >= after:
                yield definitions[code]

    def param__id(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        wanted = set(values)
        return Criteria(Q(), [lambda r: r["id"] in wanted])


class ConditionSource(Source):
    model = Condition

    def to_fhir(self, obj: Condition, scope: Scope) -> list[Resource]:
        return [mapping.condition(obj)]


class QuestionnaireResponseSource(Source):
    model = InstrumentResponse
    updated_field = "created_at"

    def queryset(self, scope: Scope) -> QuerySet:
        return super().queryset(scope).defer("item_scores", "interpretation", "definition_sha256")

    def to_fhir(self, obj: InstrumentResponse, scope: Scope) -> list[Resource]:
        author = scope.therapist_of_user(obj.recorded_by_id)
        return [mapping.questionnaire_response(obj, all_definitions()[obj.instrument], author)]


# --- Observation: three sources --------------------------------------------------------------------------


@cache
def _instrument_codings() -> dict[str, set[tuple[str, str]]]:
    """Each instrument's Observation codings (as in mapping.observation_for_response)."""
    ratings_by_instrument = {e["instrument"]: e for e in codes.ratings().values() if e.get("instrument")}
    out = {}
    for code, definition in all_definitions().items():
        rating = ratings_by_instrument.get(code)
        codings = {(codes.CS_OBSERVATION, rating["code"] if rating else code)}
        loinc = (rating or {}).get("loinc") or definition.loinc
        if loinc:
            codings.add((codes.LOINC, loinc))
        out[code] = codings
    return out


def _token_matches(tokens: list[Token]) -> Predicate:
    def check(resource: Resource) -> bool:
        return any(
            t.matches(c.get("system"), c.get("code"))
            for c in resource["code"].get("coding", ())
            for t in tokens
        )

    return check


def _date_predicate(ranges: list[Any]) -> Predicate:
    def check(resource: Resource) -> bool:
        value = dt.datetime.fromisoformat(resource["effectiveDateTime"])
        return any(r.matches(value) for r in ranges)

    return check


class ObservationSource(Source):
    date_field = "created_at"

    def param_code(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        if modifier:
            raise SearchError(f"code: the :{modifier} modifier is not supported", "code")
        tokens = [parse_token(v) for v in values]
        return Criteria(self.code_q(tokens), [_token_matches(tokens)])

    def code_q(self, tokens: list[Token]) -> Q:
        return Q()

    def param_date(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        ranges = [parse_date(v, scope.tz, "date") for v in values]
        q = Q(pk__in=[])
        for r in ranges:
            q |= self.date_q(r)
        return Criteria(q, [_date_predicate(ranges)])

    def date_q(self, r: Any) -> Q:
        return r.q(self.date_field)


class ResponseObservationSource(ObservationSource):
    """A screening's total score (the rating itself for a 0-10 scale)."""

    model = InstrumentResponse
    updated_field = "created_at"
    date_field = "administered_at"

    def queryset(self, scope: Scope) -> QuerySet:
        return super().queryset(scope).defer("answers", "item_scores", "definition_sha256")

    def to_fhir(self, obj: InstrumentResponse, scope: Scope) -> list[Resource]:
        performer = scope.therapist_of_user(obj.recorded_by_id)
        return [mapping.observation_for_response(obj, all_definitions()[obj.instrument], performer)]

    def parse_id(self, fhir_id: str) -> int | None:
        return super().parse_id(fhir_id[5:]) if fhir_id.startswith("resp-") else None

    def code_q(self, tokens: list[Token]) -> Q:
        wanted = [
            code
            for code, codings in _instrument_codings().items()
            if any(t.matches(s, c) for s, c in codings for t in tokens)
        ]
        return Q(instrument__in=wanted)


def _rating_codings(symptom: str) -> set[tuple[str, str]]:
    entry = codes.ratings()[symptom]
    out = {(codes.CS_OBSERVATION, entry["code"])}
    if entry.get("loinc"):
        out.add((codes.LOINC, entry["loinc"]))
    return out


def _id_part(fhir_id: str, prefix: str) -> int | None:
    if not fhir_id.startswith(prefix):
        return None
    number = fhir_id[len(prefix) :].split("-", 1)[0]
    return int(number) if number.isdigit() and len(number) < 19 else None


class ConditionObservationSource(ObservationSource):
    """The 0-10 symptom ratings told at intake."""

    model = Condition

    def to_fhir(self, obj: Condition, scope: Scope) -> list[Resource]:
        return mapping.observations_for_condition(obj)

    def parse_id(self, fhir_id: str) -> int | None:
        return _id_part(fhir_id, "cond-")

    def code_q(self, tokens: list[Token]) -> Q:
        q = Q(pk__in=[])
        for symptom in mapping.CONDITION_RATINGS:
            if any(t.matches(s, c) for s, c in _rating_codings(symptom) for t in tokens):
                q |= Q(**{f"{symptom}__isnull": False})
        return q


def _signed_notes(scope: Scope) -> QuerySet:
    # The notes route's own rule (visits.selectors.notes_visible_to): a therapist the client is shared with
    # still gets only the notes of their own sessions, here as on GET /api/v1/notes/{id}.
    readable = notes_visible_to(scope.user).filter(pk=OuterRef("pk"))
    return SessionNote.objects.filter(_of_clinic(scope), Exists(readable), signed_at__isnull=False)


def _note_since(since: dt.datetime) -> Q:
    amended = NoteAmendment.objects.filter(note=OuterRef("pk"), created_at__gte=since)
    return Q(updated_at__gte=since) | Q(Exists(amended))


class NoteRows(ValuesSource):
    """Signed session notes the caller may open, with their amendments applied (as
    visits.selectors.current_values applies them) into `values`, and the session's times."""

    model = SessionNote
    fields: tuple[str, ...] = NOTE_FIELDS

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (
            "id",
            "client_id",
            "updated_at",
            "signed_at",
            "appointment_id",
            "appointment__starts_at",
            "appointment__ends_at",
            "appointment__therapist_id",
            *self.fields,
        )

    def queryset(self, scope: Scope) -> QuerySet:
        return _signed_notes(scope)

    def make(self, row: dict[str, Any]) -> Any:
        appointment = SimpleNamespace(
            pk=row["appointment_id"],
            starts_at=row["appointment__starts_at"],
            ends_at=row["appointment__ends_at"],
            therapist_id=row["appointment__therapist_id"],
        )
        return SimpleNamespace(
            pk=row["id"],
            client_id=row["client_id"],
            updated_at=row["updated_at"],
            signed_at=row["signed_at"],
            appointment=appointment,
            values={name: row[name] for name in self.fields},
        )

    def complete(self, objs: list[Any]) -> None:
        by_id = {n.pk: n for n in objs}
        amendments = (
            NoteAmendment.objects.filter(note_id__in=list(by_id))
            .order_by("created_at", "id")
            .values_list("note_id", "changes")
        )
        for note_id, changes in amendments:
            values = by_id[note_id].values
            for name, (_old, new) in changes.items():
                if name in values:
                    values[name] = new

    def since_q(self, since: dt.datetime) -> Q:
        return _note_since(since)


class NoteObservationSource(NoteRows, ObservationSource):
    """The before/after ratings of signed session notes (amendments applied)."""

    fields = RATING_FIELDS

    def to_fhir(self, obj: Any, scope: Scope) -> list[Resource]:
        return mapping.observations_for_note(obj, obj.values)

    def parse_id(self, fhir_id: str) -> int | None:
        return _id_part(fhir_id, "note-")

    def code_q(self, tokens: list[Token]) -> Q:
        # A superset: an amendment may have given a rating the signed note left empty.
        q = Q(Exists(NoteAmendment.objects.filter(note=OuterRef("pk"))))
        for name, symptom, _when in mapping.NOTE_RATINGS:
            if any(t.matches(s, c) for s, c in _rating_codings(symptom) for t in tokens):
                q |= Q(**{f"{name}__isnull": False})
        return q

    def date_q(self, r: Any) -> Q:
        # Ratings before are timed at the session's start, after at its end (at most a day later): a
        # superset here; the exact check runs on the mapped resource.
        field, day = "appointment__starts_at", dt.timedelta(days=1)
        if r.prefix in ("ge",):
            return Q(**{f"{field}__gte": r.start - day})
        if r.prefix in ("gt", "sa"):
            return Q(**{f"{field}__gte": r.end - day})
        if r.prefix == "le":
            return Q(**{f"{field}__lt": r.end})
        if r.prefix in ("lt", "eb"):
            return Q(**{f"{field}__lt": r.start})
        if r.prefix == "eq":
            return Q(**{f"{field}__gte": r.start - day, f"{field}__lt": r.end})
        return Q()  # ne


# --- the rest ----------------------------------------------------------------------------------------------


class FlagSource(Source):
    model = SafetyFlag

    def to_fhir(self, obj: SafetyFlag, scope: Scope) -> list[Resource]:
        return [mapping.flag(obj)]

    def since_q(self, since: dt.datetime) -> Q:
        return Q(raised_at__gte=since) | Q(resolved_at__gte=since)


class CarePlanSource(Source):
    model = CarePlan

    def to_fhir(self, obj: CarePlan, scope: Scope) -> list[Resource]:
        return [mapping.care_plan(obj)]


APPOINTMENT_COLUMNS = (
    "clinic_id",
    "client_id",
    "therapist_id",
    "service_id",
    "plan_id",
    "status",
    "starts_at",
    "ends_at",
    "created_at",
    "updated_at",
    "cancel_reason",
    "notes_for_client",
)


class AppointmentSource(ValuesSource):
    model = Appointment
    clinic_field = "clinic_id"
    columns = ("id", *APPOINTMENT_COLUMNS)

    def to_fhir(self, obj: Appointment, scope: Scope) -> list[Resource]:
        service, therapist = scope.services()[obj.service_id], scope.therapists()[obj.therapist_id]
        return [mapping.appointment(obj, service, therapist)]

    def param_date(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        q = Q(pk__in=[])
        for value in values:
            q |= parse_date(value, scope.tz, "date").q("starts_at")
        return Criteria(q)

    def param_status(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        back = {fhir: ours for ours, fhir in mapping.APPOINTMENT_STATUS.items()}
        return Criteria(Q(status__in=[back[v] for v in values if v in back]))


class EncounterSource(AppointmentSource):
    """Sessions that took place: checked in or completed appointments."""

    def queryset(self, scope: Scope) -> QuerySet:
        return super().queryset(scope).filter(status__in=list(mapping.ENCOUNTER_STATUS))

    def to_fhir(self, obj: Appointment, scope: Scope) -> list[Resource]:
        service, therapist = scope.services()[obj.service_id], scope.therapists()[obj.therapist_id]
        return [mapping.encounter(obj, service, therapist)]

    def param_status(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        back = {fhir: ours for ours, fhir in mapping.ENCOUNTER_STATUS.items()}
        return Criteria(Q(status__in=[back[v] for v in values if v in back]))


class ProcedureSource(NoteRows):
    """The massage of each signed session note the caller may open."""

    def to_fhir(self, obj: Any, scope: Scope) -> list[Resource]:
        return [mapping.procedure(obj, obj.values)]


# --- resource types ----------------------------------------------------------------------------------------

_ID = Param("_id", "token", "The resource id.")
_PATIENT = Param("patient", "reference", "The client: Patient/123 or 123.")


@dataclass(frozen=True)
class ResourceType:
    name: str
    sources: tuple[Source, ...]
    params: tuple[Param, ...] = (_ID, _PATIENT)
    in_patient_compartment: bool = True

    def param_names(self) -> set[str]:
        return {p.name for p in self.params}


RESOURCE_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType("Organization", (OrganizationSource(),), (_ID,), in_patient_compartment=False),
        ResourceType("Practitioner", (PractitionerSource(),), (_ID,), in_patient_compartment=False),
        ResourceType("Questionnaire", (QuestionnaireSource(),), (_ID,), in_patient_compartment=False),
        ResourceType(
            "Patient",
            (PatientSource(),),
            (
                _ID,
                Param("name", "string", "Start of the given or family name (:exact, :contains)."),
                Param("family", "string", "Start of the family name."),
                Param("given", "string", "Start of the given name."),
                Param("birthdate", "date", "Date of birth (eq, ne, gt, lt, ge, le prefixes)."),
                Param(
                    "identifier", "token", "system|value: NerveCare's client id or an imported identifier."
                ),
            ),
        ),
        ResourceType("Condition", (ConditionSource(),)),
        ResourceType("QuestionnaireResponse", (QuestionnaireResponseSource(),)),
        ResourceType(
            "Observation",
            (ResponseObservationSource(), NoteObservationSource(), ConditionObservationSource()),
            (
                _ID,
                _PATIENT,
                Param("subject", "reference", "The client: Patient/123."),
                Param("code", "token", "system|code, e.g. http://loinc.org|72514-3 (pain 0-10)."),
                Param("date", "date", "When it was observed (eq, ne, gt, lt, ge, le prefixes)."),
            ),
        ),
        ResourceType("Flag", (FlagSource(),)),
        ResourceType("CarePlan", (CarePlanSource(),)),
        ResourceType(
            "Appointment",
            (AppointmentSource(),),
            (
                _ID,
                _PATIENT,
                Param("date", "date", "The appointment's start (eq, ne, gt, lt, ge, le prefixes)."),
                Param("status", "token", "booked, checked-in, fulfilled, noshow, cancelled."),
            ),
        ),
        ResourceType(
            "Encounter",
            (EncounterSource(),),
            (
                _ID,
                _PATIENT,
                Param("date", "date", "The session's start (eq, ne, gt, lt, ge, le prefixes)."),
                Param("status", "token", "in-progress or finished."),
            ),
        ),
        ResourceType("Procedure", (ProcedureSource(),)),
        ResourceType("DocumentReference", (DocumentReferenceSource(),)),
    )
}
PATIENT_EXPORT_TYPES = tuple(name for name, t in RESOURCE_TYPES.items() if t.in_patient_compartment)


def resource_type(name: str) -> ResourceType:
    try:
        return RESOURCE_TYPES[name]
    except KeyError:
        raise Http404(f"Resource type {name!r} is not supported here.") from None


# --- reading and searching -------------------------------------------------------------------------------


@dataclass
class Found:
    resources: list[Resource]
    client_ids: set[int]
    next_cursor: Cursor | None = None


def resource_read(scope: Scope, type_name: str, fhir_id: str) -> Found:
    """One resource by id, if the caller may see it (404 otherwise, another clinic's included)."""
    rtype = resource_type(type_name)
    for source in rtype.sources:
        key = source.parse_id(fhir_id)
        if key is None:
            continue
        obj = source.get(scope, key)
        if obj is None:
            continue
        for resource in source.to_fhir(obj, scope):
            if resource["id"] == fhir_id:
                client_id = source.client_id(obj)
                return Found([resource], {client_id} if client_id is not None else set())
    raise Http404(f"{type_name}/{fhir_id} is not known here.")


def search_criteria(
    scope: Scope, rtype: ResourceType, params: list[tuple[str, str, list[str]]]
) -> list[Criteria]:
    """Each source's criteria for (name, modifier, values) parameters; repeated parameters are ANDed."""
    out = [Criteria() for _ in rtype.sources]
    for name, modifier, values in params:
        for criteria, source in zip(out, rtype.sources, strict=True):
            handler = getattr(source, f"param_{name}", None)
            if handler is None:
                raise SearchError(f"{name}: not a search parameter of {rtype.name}", name)
            criteria.add(handler(modifier, values, scope))
    return out


def resource_search(
    scope: Scope,
    type_name: str,
    params: list[tuple[str, str, list[str]]],
    count: int,
    cursor: Cursor | None = None,
) -> Found:
    """One page of matches in key order, and the cursor of the next page (keyset: no OFFSET)."""
    rtype = resource_type(type_name)
    criteria = search_criteria(scope, rtype, params)
    found = Found([], set())
    first = cursor.source if cursor else 0
    for index in range(first, len(rtype.sources)):
        source, crit = rtype.sources[index], criteria[index]
        after = cursor.key if cursor and index == cursor.source else None
        skip = cursor.skip if cursor and index == cursor.source else 0
        for obj in source.rows(scope, crit.q, after=after, chunk=count + 1):
            key = source.key(obj)
            resources = [r for r in source.to_fhir(obj, scope) if all(p(r) for p in crit.predicates)]
            for position in range(skip if key == after else 0, len(resources)):
                if len(found.resources) == count:
                    found.next_cursor = Cursor(index, key, position)
                    return found
                found.resources.append(resources[position])
                client_id = source.client_id(obj)
                if client_id is not None:
                    found.client_ids.add(client_id)
    return found


def split_param(values: list[str]) -> list[str]:
    return [v for value in values for v in split_values(value)]
