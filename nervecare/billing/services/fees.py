"""Late-cancellation and no-show fees from the clinic's policy (BillingSettings, and Clinic's
cancellation_notice_hours): raised when the desk marks a no-show or cancels late (scheduling's status hook),
invoiced at the client's next check-out or on their own, waived by an admin with a reason."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from nervecare.billing.models import Fee
from nervecare.billing.selectors import billing_settings_for
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_billing_admin
from nervecare.core.services import audit_record
from nervecare.scheduling.models import Appointment

# Who cancelling late owes a fee: the client themself (portal) or the desk taking their call. A therapist's or
# an admin's cancellation is the clinic's own (illness, a closure): no fee.
FEE_ROLES = {User.Role.CLIENT, User.Role.FRONT_DESK}


def is_late_cancel(appointment: Appointment) -> bool:
    """Cancelled less than the clinic's notice period before the start."""
    if appointment.cancelled_at is None:
        return False
    notice = datetime.timedelta(hours=appointment.clinic.cancellation_notice_hours)
    return appointment.starts_at - appointment.cancelled_at < notice


def on_appointment_status(*, actor: User, appointment: Appointment, event: str) -> Fee | None:
    """Scheduling's status hook: raise the fee the clinic's policy sets (none when it sets 0)."""
    settings = billing_settings_for(appointment.clinic)
    if event == "no_show":
        kind, amount = Fee.Kind.NO_SHOW, settings.no_show_fee
    elif event == "cancelled" and actor.role in FEE_ROLES and is_late_cancel(appointment):
        kind, amount = Fee.Kind.LATE_CANCEL, settings.late_cancel_fee
    else:
        return None
    if not amount or Fee.objects.filter(appointment=appointment).exists():
        return None
    fee = Fee.objects.create(
        clinic_id=appointment.clinic_id,
        client_id=appointment.client_id,
        appointment=appointment,
        kind=kind,
        amount=amount,
        currency=appointment.clinic.currency,
    )
    audit_record(actor=actor, action="create", obj=fee, summary=f"{fee.get_kind_display()} fee {amount}")
    return fee


@transaction.atomic
def fee_waive(*, actor: User, fee: Fee, reason: str) -> Fee:
    """Waive a fee not yet invoiced, with a reason (admins). An invoiced one is credited instead."""
    require_billing_admin(actor)
    fee = Fee.objects.select_for_update().get(pk=fee.pk)
    if not reason or not reason.strip():
        raise FieldErrors({"reason": "say why the fee is waived"})
    if fee.status != Fee.Status.PENDING:
        raise FieldErrors(
            {
                "fee": "an invoiced fee is taken off with a credit note"
                if fee.status == Fee.Status.INVOICED
                else "this fee is already waived"
            }
        )
    fee.status = Fee.Status.WAIVED
    fee.waive_reason = reason.strip()[:300]
    fee.waived_by = actor
    fee.waived_at = timezone.now()
    fee.save(update_fields=["status", "waive_reason", "waived_by", "waived_at"])
    audit_record(actor=actor, action="update", obj=fee, summary=f"Waived: {fee.waive_reason}")
    return fee
