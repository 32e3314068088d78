"""Practitioner and Organization: the clinic's therapists and the clinic itself."""

from __future__ import annotations

from nervecare.core.models import Clinic, Therapist
from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.selectors.base import Scope, Source


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
