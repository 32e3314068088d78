"""A client's record life cycle: soft delete and restore, retention, and erasure (the right of access, the
export, is in export.py).

Rules kept deliberately simple and strict:
- Only a clinic admin deletes, restores or erases a client.
- A deleted client is hidden everywhere (the default manager) and can be restored until erased.
- Erasure is allowed only once the clinic's retention period (Clinic.record_retention_years) has passed,
  counted from the later of the client's last visit and the deletion. No exceptions.
- The audit trail is append-only: erasure adds one "delete" event and never changes an existing one.

Erasure reaches into every app that holds a client's rows, which is why it lives in ops, the top layer.
"""

import datetime as dt
import uuid
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nervecare.billing.models import Course, Fee, GiftCard, Invoice, Membership, Payment
from nervecare.clients.models import Client
from nervecare.core import idempotency
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, IdempotencyRecord, User
from nervecare.core.permissions import require_admin
from nervecare.core.services import audit_record
from nervecare.portal.models import ClientAccount
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import appointment_cancel
from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote


class RetentionNotPassedError(FieldErrors):
    """Erasure asked for before the retention period has passed."""

    def __init__(self, client: Client, allowed_from: dt.date, years: int):
        self.allowed_from = allowed_from
        super().__init__(
            {
                "client": _(
                    "The record must be kept for %(years)s years after the last visit or the deletion "
                    "(clinic setting record_retention_years); it may be erased from %(date)s."
                )
                % {"years": years, "date": allowed_from.isoformat()}
            }
        )


# --- who may do what -------------------------------------------------------------------------------------------


def deleted_client_get_for_admin(user: User, client_id: int) -> Client:
    """A client of the admin's clinic, deleted or not (404 for another clinic's)."""
    require_admin(user)
    client = (
        Client.all_objects.filter(pk=client_id, clinic_id=user.clinic_id).select_related("clinic").first()
    )
    if client is None:
        raise Http404(_("No such client."))
    return client


def deleted_clients_for_admin(user: User) -> models.QuerySet[Client]:
    """The clinic's deleted clients, newest deletion first (the admin's restore / purge list)."""
    require_admin(user)
    return Client.all_objects.filter(clinic_id=user.clinic_id, deleted_at__isnull=False).order_by(
        "-deleted_at"
    )


# --- retention -------------------------------------------------------------------------------------------------


def last_visit_at(client: Client) -> dt.datetime | None:
    """When the client was last seen: the latest appointment that took place (checked in or completed)."""
    return Appointment.objects.filter(
        client_id=client.pk,
        starts_at__lte=timezone.now(),
        status__in=(Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED),
    ).aggregate(m=Max("starts_at"))["m"]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def retention_ends_on(client: Client) -> dt.date | None:
    """The first day the deleted client's record may be erased; None while the client is not deleted."""
    if client.deleted_at is None:
        return None
    start = client.deleted_at
    last = last_visit_at(client)
    if last is not None and last > start:
        start = last
    return _add_years(start.date(), client.clinic.record_retention_years)


def retention_passed(client: Client, *, today: dt.date | None = None) -> bool:
    ends = retention_ends_on(client)
    return ends is not None and (today or timezone.now().date()) >= ends


def clients_due_for_purge(*, today: dt.date | None = None) -> list[Client]:
    """Deleted clients (every clinic) whose retention period has passed."""
    deleted = Client.all_objects.filter(deleted_at__isnull=False).select_related("clinic").order_by("id")
    return [c for c in deleted if retention_passed(c, today=today)]


@transaction.atomic
def clinic_retention_set(*, actor: User, years: Any) -> int:
    """Change the clinic's record_retention_years (admins). What it must be is a legal question for the clinic's
    jurisdiction, not a clinical one; the default is 7."""
    require_admin(actor)
    try:
        value = int(years)
    except (TypeError, ValueError):
        raise FieldErrors({"record_retention_years": _("enter a whole number of years")}) from None
    if not 1 <= value <= 100:
        raise FieldErrors({"record_retention_years": _("must be between 1 and 100 years")})
    clinic = Clinic.objects.select_for_update().get(pk=actor.clinic_id)
    before = clinic.record_retention_years
    if before != value:
        clinic.record_retention_years = value
        clinic.save(update_fields=["record_retention_years", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            obj=clinic,
            summary="Record retention period changed",
            changes={"record_retention_years": [before, value]},
        )
    return value


# --- soft delete and restore -----------------------------------------------------------------------------------


@transaction.atomic
def client_soft_delete(*, actor: User, client: Client, reason: str) -> Client:
    """Delete a client: hidden everywhere, future appointments cancelled, restorable by an admin until the
    retention period has passed and the record is erased."""
    require_admin(actor)
    client = Client.all_objects.select_for_update().get(pk=client.pk)
    if client.clinic_id != actor.clinic_id:
        raise Http404(_("No such client."))
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": _("say why the client is deleted")})
    if client.deleted_at is not None:
        raise FieldErrors({"client": _("this client is already deleted")})
    future = Appointment.objects.filter(
        client_id=client.pk,
        starts_at__gt=timezone.now(),
        status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN),
    ).order_by("starts_at")
    cancelled = 0
    for appointment in future:
        appointment_cancel(
            actor=actor,
            appointment=appointment,
            reason=_("Client record deleted"),
        )
        cancelled += 1
    client.deleted_at = timezone.now()
    client.deleted_by = actor
    client.deletion_reason = reason[:300]
    client._change_reason = "deleted"  # simple-history keeps it with the historical row
    client.save(update_fields=["deleted_at", "deleted_by", "deletion_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="delete",
        obj=client,
        summary=f"Client deleted (soft); {cancelled} future appointment(s) cancelled",
        changes={"deleted_at": [None, client.deleted_at.isoformat()]},
    )
    return client


@transaction.atomic
def client_restore(*, actor: User, client: Client) -> Client:
    """Undo a soft delete (cancelled appointments stay cancelled: book again if needed)."""
    require_admin(actor)
    client = Client.all_objects.select_for_update().get(pk=client.pk)
    if client.clinic_id != actor.clinic_id:
        raise Http404(_("No such client."))
    if client.deleted_at is None:
        raise FieldErrors({"client": _("this client is not deleted")})
    before = client.deleted_at
    client.deleted_at = None
    client.deleted_by = None
    client.deletion_reason = ""
    client.save(update_fields=["deleted_at", "deleted_by", "deletion_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=client,
        summary="Client restored after deletion",
        changes={"deleted_at": [before.isoformat(), None]},
    )
    return client


# --- erasure ---------------------------------------------------------------------------------------------------


def _historical_models_for_client() -> list[tuple[type[models.Model], str]]:
    """(history model, lookup) for every django-simple-history table that holds a client's rows."""
    out = []
    for model in apps.get_models():
        instance_type = getattr(model, "instance_type", None)
        if instance_type is None or not hasattr(model, "history_id"):
            continue
        if instance_type is Client:
            out.append((model, "id"))
        elif any(f.name == "client" for f in model._meta.fields):
            out.append((model, "client_id"))
    return out


def client_has_money_records(client_id: int) -> bool:
    return (
        any(
            model.objects.filter(client_id=client_id).exists()
            for model in (Invoice, Payment, Course, Fee, GiftCard, Membership)
        )
        or Course.objects.filter(transferred_from_id=client_id).exists()
    )


@transaction.atomic
def client_erase(*, actor: User | None, client: Client, today: dt.date | None = None) -> dict[str, int]:
    """Erase everything held about a deleted client whose retention period has passed, in one transaction.

    The audit trail stays: existing events are never changed, and one "delete" event records the erasure
    (ids and counts only). The client's portal sign-in is anonymised and disabled rather than deleted, so
    audit events that name it as the actor stay valid. `actor` is None only for the `purge` command."""
    if actor is not None:
        require_admin(actor)
    client = Client.all_objects.select_for_update().select_related("clinic").get(pk=client.pk)
    if actor is not None and client.clinic_id != actor.clinic_id:
        raise Http404(_("No such client."))
    if client.deleted_at is None:
        raise FieldErrors({"client": _("delete the client first; only a deleted client can be erased")})
    if not retention_passed(client, today=today):
        raise RetentionNotPassedError(
            client, retention_ends_on(client) or timezone.now().date(), client.clinic.record_retention_years
        )
    client_id, clinic_id = client.pk, client.clinic_id
    if client_has_money_records(client_id):
        # Invoices, payments, courses and fees are accounting records the clinic must keep (tax law), and they
        # are never deleted (billing's triggers): the record with them cannot be erased.
        raise FieldErrors(
            {
                "client": _(
                    "this client has invoices, payments, courses, fees, gift cards or memberships, which are "
                    "kept as accounting records"
                )
            }
        )
    counts: dict[str, int] = {}

    def gone(label: str, result: tuple[int, dict[str, int]]) -> None:
        for model_label, n in result[1].items():
            key = model_label.lower()
            counts[key] = counts.get(key, 0) + n

    # Session notes and appointments are PROTECTed (a clinical record is never lost by accident): remove them
    # explicitly, children first.
    notes = SessionNote.objects.filter(client_id=client_id)
    gone("adverse", AdverseEvent.objects.filter(note__in=notes).delete())
    gone("amendments", NoteAmendment.objects.filter(note__in=notes).delete())
    gone("notes", notes.delete())
    gone("appointments", Appointment.objects.filter(client_id=client_id).delete())
    for model, lookup in _historical_models_for_client():
        gone("history", model.objects.filter(**{lookup: client_id}).delete())

    account = portal_account_for_client(client_id)
    # The stored answers of the client's own Idempotency-Key requests (portal forms, API) hold their data as it
    # was answered: they go with the record. Any other stored answer about the client is older than its day
    # (the client was deleted, and so hidden from every route, at least a retention period ago): expired ones
    # are purged here too rather than waiting for the hourly job.
    if account is not None:
        gone("idempotency", IdempotencyRecord.objects.filter(user_id=account.user_id).delete())
    counts["core.idempotencyrecord (expired)"] = idempotency.purge_expired()
    if account is not None:
        user = account.user
        user.username = f"erased-{user.pk}-{uuid.uuid4().hex[:8]}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        counts["core.user (anonymised)"] = 1
    # Everything else (consents, conditions, medical context, body maps, screenings, flags, plans and their
    # changes, series, waitlist, decisions, identifiers, portal account, diary) cascades from the client.
    gone("client", Client.all_objects.filter(pk=client_id).delete())
    # The deletion above wrote a "-" history row for the client and its cascaded history-tracked records.
    for model, lookup in _historical_models_for_client():
        gone("history", model.objects.filter(**{lookup: client_id}).delete())
    # Cached cohort figures are keyed by a fingerprint of the clinic's data (outcomes.cohort.data_fingerprint),
    # which these deletions change, so nothing computed from the erased record is served again.

    stub = Client(pk=client_id, clinic_id=clinic_id)
    audit_record(
        actor=actor,
        action="delete",
        obj=stub,
        summary=f"Client #{client_id} erased: retention period passed",
        changes={"erased": {k: v for k, v in sorted(counts.items()) if v}},
    )
    return counts


def portal_account_for_client(client_id: int) -> ClientAccount | None:
    """The client's portal sign-in, if they have one."""
    return ClientAccount.objects.select_related("user").filter(client_id=client_id).first()
