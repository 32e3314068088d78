"""Questionnaire (the instrument definitions) and QuestionnaireResponse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

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
