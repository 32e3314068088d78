"""The resource types (which sources make each, which search parameters it takes), and reading and
searching them with keyset paging."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from nervecare.interop.mapping import Resource
from nervecare.interop.search import Cursor, SearchError, split_values
from nervecare.interop.selectors.appointment import AppointmentSource, EncounterSource
from nervecare.interop.selectors.base import Criteria, Param, Scope, Source
from nervecare.interop.selectors.care_plan import CarePlanSource
from nervecare.interop.selectors.clinic import OrganizationSource, PractitionerSource
from nervecare.interop.selectors.condition import ConditionSource
from nervecare.interop.selectors.flag import FlagSource
from nervecare.interop.selectors.observation import (
    ConditionObservationSource,
    NoteObservationSource,
    ResponseObservationSource,
)
from nervecare.interop.selectors.patient import DocumentReferenceSource, PatientSource
from nervecare.interop.selectors.procedure import ProcedureSource
from nervecare.interop.selectors.questionnaire import (
    FootCheckQuestionnaireSource,
    FootCheckResponseSource,
    QuestionnaireResponseSource,
    QuestionnaireSource,
)
from nervecare.interop.selectors.selfcare import SelfcareProgrammeSource

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
        ResourceType(
            "Questionnaire",
            (QuestionnaireSource(), FootCheckQuestionnaireSource()),
            (_ID,),
            in_patient_compartment=False,
        ),
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
        ResourceType("QuestionnaireResponse", (QuestionnaireResponseSource(), FootCheckResponseSource())),
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
        ResourceType("CarePlan", (CarePlanSource(), SelfcareProgrammeSource())),
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
