"""Observation: three sources (screening totals, session-note ratings, intake ratings)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from nervecare.clients.models import Condition
from nervecare.interop import codes, mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.search import SearchError, Token, parse_date, parse_token
from nervecare.interop.selectors.base import Criteria, Predicate, Scope, Source
from nervecare.interop.selectors.notes import NoteRows
from nervecare.screening.instruments import all_definitions
from nervecare.screening.models import InstrumentResponse
from nervecare.visits.models import RATING_FIELDS, NoteAmendment

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
