"""CarePlan: home self-care programmes (issue 18 point 7), beside the care plans (ids "selfcare-<pk>")."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from nervecare.interop.mapping import Resource
from nervecare.interop.mapping.selfcare import selfcare_programme
from nervecare.interop.selectors.base import Scope, Source
from nervecare.selfcare.models import Programme, ProgrammeItem

PREFIX = "selfcare-"


class SelfcareProgrammeSource(Source):
    model = Programme

    def queryset(self, scope: Scope) -> QuerySet:
        return (
            super()
            .queryset(scope)
            .prefetch_related(Prefetch("items", queryset=ProgrammeItem.objects.order_by("id")))
        )

    def to_fhir(self, obj: Programme, scope: Scope) -> list[Resource]:
        author = scope.therapist_of_user(obj.created_by_id)
        return [selfcare_programme(obj, author.pk if author else None)]

    def parse_id(self, fhir_id: str) -> int | None:
        return super().parse_id(fhir_id[len(PREFIX) :]) if fhir_id.startswith(PREFIX) else None
