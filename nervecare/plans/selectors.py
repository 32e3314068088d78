"""Reads of care plans."""

from nervecare.clients.models import Client
from nervecare.core.models import Therapist
from nervecare.plans.models import CarePlan


def plans_for_client(client: Client) -> list[CarePlan]:
    return list(client.plans.select_related("therapist").prefetch_related("changes"))


def plan_get_for_client(client: Client, plan_id: int) -> CarePlan | None:
    return client.plans.select_related("therapist").filter(pk=plan_id).first()


def therapists_for_clinic(clinic_id: int) -> list[Therapist]:
    return list(Therapist.objects.filter(clinic_id=clinic_id, active=True).select_related("user"))
