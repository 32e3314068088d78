"""Emailing a therapist their day list (the job queue sends it)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.core.services import audit_record
from nervecare.scheduling.tasks import email_day_list


@transaction.atomic
def day_list_email(*, actor: User, therapist_id: int, day: date) -> str:
    """Queue the therapist's day list for `day` to their email address (built when the job runs, so it is
    the list as it then stands). Returns the address."""
    require_scheduling(actor)
    therapist = (
        Therapist.objects.select_related("user")
        .filter(pk=therapist_id, clinic_id=clinic_id_of(actor))
        .first()
    )
    if therapist is None:
        raise FieldErrors({"therapist_id": "unknown therapist"})
    address = therapist.user.email
    if not address:
        raise FieldErrors(
            {"therapist_id": f"{therapist.display_name} has no email address: print the day list instead"}
        )
    transaction.on_commit(lambda: email_day_list(therapist.id, day.isoformat()))
    audit_record(actor=actor, action="view", obj=therapist, summary=f"Day list {day.isoformat()} emailed")
    return address
