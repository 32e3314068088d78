"""Patient and DocumentReference: both made from the client's row."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from nervecare.clients.models import Client
from nervecare.interop import codes, mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.models import PatientIdentifier
from nervecare.interop.search import SearchError, parse_date, parse_token
from nervecare.interop.selectors.base import Criteria, Scope, Source


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
