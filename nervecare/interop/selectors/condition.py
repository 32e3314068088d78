"""Condition: the diagnoses recorded at intake."""

from __future__ import annotations

from nervecare.clients.models import Condition
from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.selectors.base import Scope, Source


class ConditionSource(Source):
    model = Condition

    def to_fhir(self, obj: Condition, scope: Scope) -> list[Resource]:
        return [mapping.condition(obj)]
