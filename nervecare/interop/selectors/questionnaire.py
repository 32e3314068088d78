"""Questionnaire (the instrument definitions) and QuestionnaireResponse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from nervecare.footcheck import rules as foot_check_rules
from nervecare.footcheck.models import FootCheck
from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.selectors.base import Criteria, Scope, Source
from nervecare.screening.instruments import all_definitions
from nervecare.screening.models import InstrumentResponse


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


class QuestionnaireResponseSource(Source):
    model = InstrumentResponse
    updated_field = "created_at"

    def queryset(self, scope: Scope) -> QuerySet:
        return super().queryset(scope).defer("item_scores", "interpretation", "definition_sha256")

    def to_fhir(self, obj: InstrumentResponse, scope: Scope) -> list[Resource]:
        author = scope.therapist_of_user(obj.recorded_by_id)
        return [mapping.questionnaire_response(obj, all_definitions()[obj.instrument], author)]


class FootCheckQuestionnaireSource(Source):
    """The daily foot check's Questionnaire (a data file, not rows): one resource, key 1."""

    patient_field = None
    updated_field = None

    def to_fhir(self, obj: Any, scope: Scope) -> list[Resource]:
        return [mapping.foot_check_questionnaire(obj, foot_check_rules.region_choices())]

    def key(self, obj: Any) -> int:
        return 1

    def parse_id(self, fhir_id: str) -> int | None:
        return 1 if fhir_id == mapping.foot_check.ID else None

    def get(self, scope: Scope, key: int) -> Any | None:
        return foot_check_rules.rules() if key == 1 else None

    def rows(self, scope: Scope, q: Q, after: int | None = None, chunk: int = 1000) -> Iterator[Any]:
        if after is None or after <= 1:
            yield foot_check_rules.rules()

    def param__id(self, modifier: str, values: list[str], scope: Scope) -> Criteria:
        wanted = set(values)
        return Criteria(Q(), [lambda r: r["id"] in wanted])


class FootCheckResponseSource(Source):
    """Daily foot-check reports (issue 18) as QuestionnaireResponses, ids "foot-check-<pk>"; only for the clients
    the caller sees (Source.queryset: clients_visible_to), as every other resource."""

    model = FootCheck
    updated_field = "reported_at"

    def queryset(self, scope: Scope) -> QuerySet:
        return super().queryset(scope).select_related("submitted_by")

    def parse_id(self, fhir_id: str) -> int | None:
        number = fhir_id.removeprefix("foot-check-")
        return int(number) if number != fhir_id and number.isdigit() and len(number) < 19 else None

    def to_fhir(self, obj: FootCheck, scope: Scope) -> list[Resource]:
        data = foot_check_rules.rules()
        by_client = obj.submitted_by is not None and obj.submitted_by.role == "client"
        author = None if by_client else scope.therapist_of_user(obj.submitted_by_id)
        return [
            mapping.foot_check_response(
                obj,
                version=obj.rules_version,
                findings=[(f.code, f.label) for f in data.findings],
                feet=foot_check_rules.foot_labels(),
                regions=foot_check_rules.region_labels(),
                author=author,
            )
        ]
