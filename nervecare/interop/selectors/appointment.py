"""Appointment and Encounter: the clinic's appointments."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.search import parse_date
from nervecare.interop.selectors.base import Criteria, Scope, ValuesSource
from nervecare.scheduling.models import Appointment

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
