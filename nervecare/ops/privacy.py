"""A client's privacy rights and the record's life cycle: soft delete and restore, retention, erasure, and the
right of access (everything held about a client, as JSON and as a readable PDF).

Rules kept deliberately simple and strict:
- Only a clinic admin deletes, restores or erases a client.
- A deleted client is hidden everywhere (the default manager) and can be restored until erased.
- Erasure is allowed only once the clinic's retention period (Clinic.record_retention_years) has passed,
  counted from the later of the client's last visit and the deletion. No exceptions.
- The audit trail is append-only: erasure adds one "delete" event and never changes an existing one.
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Max
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from nervecare.clients.models import BodyMap, Client, Condition, Consent, MedicalContext
from nervecare.clients.selectors import client_history
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent, User
from nervecare.core.services import audit_record

EXPORT_SCHEMA_VERSION = "1.0"


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


def require_admin(user: User) -> None:
    """Deleting, restoring and erasing a client: the clinic's admins only."""
    if not user.is_authenticated or user.clinic_id is None or user.role != User.Role.ADMIN:
        raise PermissionDenied(_("Only a clinic admin may delete, restore or erase a client."))


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


def client_get_for_export(user: User, client_id: int) -> Client:
    """The (not deleted) client, if the user may see and so export its record: the clinic's admins and the
    therapists who see the client (clients_visible_to). Clients export their own record through the portal
    only. 403 for a role without clinical access, 404 for a client the user may not see."""
    from nervecare.clients.selectors import client_get_for_user

    return client_get_for_user(user, client_id)


# --- retention -------------------------------------------------------------------------------------------------


def last_visit_at(client: Client) -> dt.datetime | None:
    """When the client was last seen: the latest appointment that took place (checked in or completed)."""
    Appointment = apps.get_model("scheduling", "Appointment")  # noqa: N806
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
def clinic_retention_set(*, actor: User, years: Any, request: HttpRequest | None = None) -> int:
    """Change the clinic's record_retention_years (admins). What it must be is a legal question for the clinic's
    jurisdiction, not a clinical one; the default is 7."""
    from nervecare.core.models import Clinic

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
            request=request,
        )
    return value


# --- soft delete and restore -----------------------------------------------------------------------------------


@transaction.atomic
def client_soft_delete(
    *, actor: User, client: Client, reason: str, request: HttpRequest | None = None
) -> Client:
    """Delete a client: hidden everywhere, future appointments cancelled, restorable by an admin until the
    retention period has passed and the record is erased."""
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.services import appointment_cancel

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
            request=request,
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
        request=request,
    )
    return client


@transaction.atomic
def client_restore(*, actor: User, client: Client, request: HttpRequest | None = None) -> Client:
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
        request=request,
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


@transaction.atomic
def client_erase(
    *, actor: User | None, client: Client, request: HttpRequest | None = None, today: dt.date | None = None
) -> dict[str, int]:
    """Erase everything held about a deleted client whose retention period has passed, in one transaction.

    The audit trail stays: existing events are never changed, and one "delete" event records the erasure
    (ids and counts only). The client's portal sign-in is anonymised and disabled rather than deleted, so
    audit events that name it as the actor stay valid. `actor` is None only for the `purge` command."""
    from nervecare.scheduling.models import Appointment
    from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote

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

    account = _portal_account_for_client(client_id)
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
        request=request,
    )
    return counts


def _portal_account_for_client(client_id: int) -> Any:
    ClientAccount = apps.get_model("portal", "ClientAccount")  # noqa: N806
    return ClientAccount.objects.select_related("user").filter(client_id=client_id).first()


# --- right of access -------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _row(obj: models.Model, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored field of a record, as JSON-ready values (foreign keys as ids)."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in skip:
            continue
        name = field.attname
        value = getattr(obj, name)
        out[name] = _plain(value)
        if field.choices and value not in (None, ""):
            out[f"{field.name}_label"] = str(getattr(obj, f"get_{field.name}_display")())
    return out


def client_export(client: Client) -> dict[str, Any]:
    """Everything held about one client, as one JSON-ready document (no permission check: callers use
    client_get_for_export)."""
    from nervecare.outcomes.analysis import client_outcomes, plain_summary
    from nervecare.outcomes.selectors import client_data
    from nervecare.plans.models import CarePlan
    from nervecare.scheduling.models import Appointment, Series, WaitlistEntry
    from nervecare.screening.models import InstrumentResponse, SafetyFlag
    from nervecare.visits.models import SessionNote

    medical = MedicalContext.objects.filter(client=client).first()
    account = _portal_account_for_client(client.pk)
    try:
        outcome = client_outcomes(client_data(client))
        outcome_summary = {"summary": plain_summary(outcome)}
    except Exception as exc:  # noqa: BLE001 - the export must not fail because an analysis cannot be made
        outcome_summary = {"summary": [], "error": str(exc)[:200]}
    notes = (
        SessionNote.objects.filter(client=client)
        .prefetch_related("amendments", "adverse_events")
        .order_by("created_at", "id")
    )
    ReevaluationDecision = apps.get_model("outcomes", "ReevaluationDecision")  # noqa: N806
    DiaryEntry = apps.get_model("portal", "DiaryEntry")  # noqa: N806
    PatientIdentifier = apps.get_model("interop", "PatientIdentifier")  # noqa: N806
    return {
        "schema": "nervecare-client-export",
        "schema_version": EXPORT_SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "clinic": {"id": client.clinic_id, "name": client.clinic.name},
        "client": _row(client, skip=("deleted_at", "deleted_by", "deletion_reason")),
        "portal_account": (
            {
                "username": account.user.username,
                "email": account.user.email,
                "created_at": _plain(account.created_at),
                "last_login": _plain(account.user.last_login),
            }
            if account
            else None
        ),
        "identifiers": [_row(i) for i in PatientIdentifier.objects.filter(client=client).order_by("id")],
        "consents": [
            {**_row(c), "text_version": c.text.version, "text": c.text.body}
            for c in Consent.objects.filter(client=client).select_related("text").order_by("given_at", "id")
        ],
        "conditions": [_row(c) for c in Condition.objects.filter(client=client).order_by("id")],
        "medical_context": _row(medical) if medical else None,
        "body_maps": [
            {**_row(b), "marks": [_row(m, skip=("body_map",)) for m in b.marks.all()]}
            for b in BodyMap.objects.filter(client=client)
            .prefetch_related("marks")
            .order_by("recorded_at", "id")
        ],
        "screenings": [
            _row(r)
            for r in InstrumentResponse.objects.filter(client=client).order_by("administered_at", "id")
        ],
        "safety_flags": [_row(f) for f in SafetyFlag.objects.filter(client=client).order_by("id")],
        "care_plans": [
            {**_row(p), "changes": [_row(c, skip=("plan",)) for c in p.changes.order_by("id")]}
            for p in CarePlan.objects.filter(client=client).prefetch_related("changes").order_by("id")
        ],
        "reevaluation_decisions": [
            _row(d) for d in ReevaluationDecision.objects.filter(client=client).order_by("id")
        ],
        "series": [_row(s) for s in Series.objects.filter(client=client).order_by("id")],
        "appointments": [
            _row(a) for a in Appointment.objects.filter(client=client).order_by("starts_at", "id")
        ],
        "waitlist": [_row(w) for w in WaitlistEntry.objects.filter(client=client).order_by("id")],
        "session_notes": [
            {
                **_row(n),
                "amendments": [_row(a, skip=("note",)) for a in n.amendments.all()],
                "adverse_events": [_row(e, skip=("note",)) for e in n.adverse_events.all()],
            }
            for n in notes
        ],
        "diary_entries": [_row(d) for d in DiaryEntry.objects.filter(client=client).order_by("id")],
        "outcome_summary": outcome_summary,
        "change_history": [_plain(row) for row in client_history(client)],
        "access_log": [
            {
                "at": _plain(e.at),
                "by": e.actor.username if e.actor else None,
                "role": e.actor.role if e.actor else None,
                "action": e.action,
                "summary": e.summary,
            }
            for e in AuditEvent.objects.filter(object_type="clients.client", object_id=str(client.pk))
            .select_related("actor")
            .order_by("at", "id")
        ],
    }


def client_export_audit(*, actor: User, client: Client, fmt: str, request: HttpRequest | None = None) -> None:
    """Record that the client's whole record left the system (who, which format)."""
    audit_record(
        actor=actor,
        action="view",
        obj=client,
        summary=f"Right-of-access export ({fmt})",
        request=request,
    )


SECTION_TITLES = {
    "client": "Personal details",
    "portal_account": "Portal account",
    "identifiers": "Identifiers",
    "consents": "Consents",
    "conditions": "Neuropathies",
    "medical_context": "Medical context",
    "body_maps": "Body maps",
    "screenings": "Screenings (answers and scores)",
    "safety_flags": "Safety flags",
    "care_plans": "Care plans and their changes",
    "reevaluation_decisions": "Re-evaluation decisions",
    "series": "Appointment series",
    "appointments": "Appointments",
    "waitlist": "Waiting list",
    "session_notes": "Session notes, amendments and adverse events",
    "diary_entries": "Diary entries",
    "outcome_summary": "Outcome summary",
    "change_history": "Changes to the record (who, when)",
    "access_log": "Who opened or changed the record",
}


def client_export_pdf(document: dict[str, Any]) -> bytes:
    """The export as a readable PDF: the same content in plain sections (reportlab, like outcome reports)."""
    from reportlab.platypus import Spacer

    from nervecare.outcomes.reports import _build, _p, _table

    client = document["client"]
    story: list[Any] = [
        _p(_("Your record at %(clinic)s") % {"clinic": document["clinic"]["name"]}, "title"),
        _p(f"{client['first_name']} {client['last_name']}"),
        _p(
            _("Generated %(at)s · export format %(v)s · the same data is available as JSON.")
            % {"at": document["generated_at"], "v": document["schema_version"]},
            "small",
        ),
    ]
    for key, title in SECTION_TITLES.items():
        value = document.get(key)
        story.append(_p(_(title), "h2"))
        if key == "outcome_summary":
            lines = value.get("summary") or [_("No outcome summary yet.")]
            story.extend(_p(line) for line in lines)
            continue
        if not value:
            story.append(_p(_("Nothing recorded."), "small"))
            continue
        for number, record in enumerate(value if isinstance(value, list) else [value], start=1):
            if isinstance(value, list):
                story.append(_p(f"{_(title)} {number}", "small"))
            story.append(_table([[_("Field"), _("Value")], *_pdf_rows(record)], widths=[150, 330]))
            story.append(Spacer(1, 6))
    return _build(story, title=_("Client record export"), author="NerveCare")


def _pdf_rows(record: dict[str, Any], prefix: str = "") -> list[list[str]]:
    rows: list[list[str]] = []
    for key, value in record.items():
        label = f"{prefix}{key.replace('_', ' ')}"
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value, start=1):
                rows.extend(_pdf_rows(item, prefix=f"{label} {i} · "))
        elif value in (None, "", [], {}):
            continue
        elif isinstance(value, bool):
            rows.append([label, _("yes") if value else _("no")])
        elif isinstance(value, list | dict):
            rows.append([label, _json_text(value)])
        else:
            rows.append([label, str(value)])
    return rows


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:4000]
