"""CarePlan: care plans."""

from __future__ import annotations

from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.selectors.base import Scope, Source
from nervecare.plans.models import CarePlan


class CarePlanSource(Source):
    model = CarePlan

    def to_fhir(self, obj: CarePlan, scope: Scope) -> list[Resource]:
        return [mapping.care_plan(obj)]
