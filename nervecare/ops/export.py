"""The right of access: everything held about a client, as one JSON document and as a readable PDF.

Who gets what (every path to the same data applies the same rule as that data's own route):
- the client, through the portal, and the clinic's admins: the whole record;
- a therapist who may see the client: only what they may read on the records' own routes. Session notes (with
  their amendments and adverse events) are those visits.selectors.notes_visible_to gives them, the outcome
  summary is computed from those notes only, and the audit trail (admins only) and the client's portal diary
  (the client's own) are left out. The document says so (`complete`, `omitted`).

The export reads every domain app, which is why it lives in ops, the top layer.
"""

import base64
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from nervecare.billing.models import Course, Fee, GiftCard, Invoice, Membership, Payment
from nervecare.booking.models import OnlineBooking
from nervecare.clients.models import BodyMap, Client, ClientShare, Condition, Consent, MedicalContext
from nervecare.clients.selectors import client_get_for_user, client_history
from nervecare.core.models import AuditEvent, User
from nervecare.core.services import audit_record
from nervecare.footcheck.models import FootCheck, FootCheckPhoto
from nervecare.interop.models import ContactChangeProposal, PatientIdentifier
from nervecare.ops.documents import document_row
from nervecare.ops.models import ClientDocument, PastVisit
from nervecare.ops.privacy import portal_account_for_client
from nervecare.outcomes.analysis import client_outcomes, plain_summary
from nervecare.outcomes.models import ReevaluationDecision
from nervecare.outcomes.selectors import client_data
from nervecare.plans.models import CarePlan
from nervecare.portal.models import ClientIntake, DiaryEntry
from nervecare.scheduling.models import Appointment, Series, WaitlistEntry
from nervecare.screening.models import InstrumentResponse, SafetyFlag
from nervecare.selfcare.models import CheckOff, Programme, ReminderSetting
from nervecare.trials.models import Trial
from nervecare.visits.models import PhysicalMeasure, SessionNote
from nervecare.visits.selectors import notes_visible_to

# 1.1: `complete` and `omitted` (a staff member's export holds their part). 1.2: foot checks (with photos),
# self-care programmes, check-offs and reminders, trials, the portal intake, online booking, contact-change
# proposals, who the record is shared with, and the money records (invoices, payments, courses, fees, gift
# cards, memberships).
EXPORT_SCHEMA_VERSION = "1.2"

# Sections a therapist's export leaves out, and why (each has no route that gives it to a therapist).
STAFF_OMITTED = {
    "access_log": "the audit trail is for the clinic's admins",
    "diary_entries": "the diary is the client's own (portal)",
    "shares": "who the record is shared with is for the clinic's admins",
    "money": "money records are the front desk's and the admins' (a therapist sees their own takings only)",
}


def client_get_for_export(user: User, client_id: int) -> Client:
    """The (not deleted) client, if the user may see and so export its record: the clinic's admins and the
    therapists who see the client (clients_visible_to). Clients export their own record through the portal
    only. 403 for a role without clinical access, 404 for a client the user may not see."""
    return client_get_for_user(user, client_id)


def export_is_complete(staff: User | None) -> bool:
    """The whole record goes to the client (staff None: the portal) and to the clinic's admins."""
    return staff is None or staff.role == User.Role.ADMIN


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


def client_export(client: Client, *, staff: User | None = None) -> dict[str, Any]:
    """Everything held about one client that the reader may have, as one JSON-ready document.

    `staff` is the staff member exporting (checked by client_get_for_export); None is the client's own
    right of access through the portal (checked by portal.selectors.client_for_portal_user)."""
    complete = export_is_complete(staff)
    account = portal_account_for_client(client.pk)
    notes = SessionNote.objects.filter(client=client)
    if staff is not None:
        notes = notes.filter(pk__in=notes_visible_to(staff).values("pk"))
    outcome_summary = _outcome_summary(client, staff)
    document: dict[str, Any] = {
        "schema": "nervecare-client-export",
        "schema_version": EXPORT_SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "complete": complete,
        "omitted": {} if complete else dict(STAFF_OMITTED),
        "clinic": {"id": client.clinic_id, "name": client.clinic.name},
        "client": _row(client, skip=("deleted_at", "deleted_by", "deletion_reason")),
        "portal_account": _portal_account(account),
        **_record(client),
        "session_notes": [
            {
                **_row(n),
                "amendments": [_row(a, skip=("note",)) for a in n.amendments.all()],
                "adverse_events": [_row(e, skip=("note",)) for e in n.adverse_events.all()],
            }
            for n in notes.prefetch_related("amendments", "adverse_events").order_by("created_at", "id")
        ],
        "outcome_summary": outcome_summary,
        "change_history": [_plain(row) for row in client_history(client)],
    }
    if complete:
        document |= _staff_only(client)
    return document


def _portal_account(account: Any) -> dict[str, Any] | None:
    """The client's portal sign-in, if they have one."""
    if not account:
        return None
    return {
        "username": account.user.username,
        "email": account.user.email,
        "created_at": _plain(account.created_at),
        "last_login": _plain(account.user.last_login),
    }


def _outcome_summary(client: Client, staff: User | None) -> dict[str, Any]:
    """The plain-language outcome summary, or why it could not be made."""
    try:
        outcome = client_outcomes(client_data(client, reader=staff))
        return {"summary": plain_summary(outcome)}
    except Exception as exc:  # noqa: BLE001 - the export must not fail because an analysis cannot be made
        return {"summary": [], "error": str(exc)[:200]}


def _record(client: Client) -> dict[str, Any]:
    """The clinical record's rows, from identifiers to the waitlist, each in the order they were made."""
    medical = MedicalContext.objects.filter(client=client).first()
    return {
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
        "physical_measures": [
            _row(m) for m in PhysicalMeasure.objects.filter(client=client).order_by("measured_at", "id")
        ],
        "past_visits": [
            _row(v, skip=("run",))
            for v in PastVisit.objects.filter(client=client).order_by("visited_on", "id")
        ],
        # Letters, clearances and referrals with their content (base64), as they were attached.
        "documents": [
            document_row(d, with_content=True)
            for d in ClientDocument.objects.filter(client=client).select_related("uploaded_by").order_by("id")
        ],
        "portal_intakes": [_row(i) for i in ClientIntake.objects.filter(client=client).order_by("id")],
        "online_booking": [
            _row(b, skip=("token_hash",)) for b in OnlineBooking.objects.filter(client=client).order_by("id")
        ],
        "contact_change_proposals": [
            _row(p) for p in ContactChangeProposal.objects.filter(client=client).order_by("id")
        ],
        **_between_sessions(client),
    }


def _between_sessions(client: Client) -> dict[str, Any]:
    """What the client did at home (issue 18) and their single-client trials (issue 21): the daily foot checks
    with their photos (base64, as the client sent them), self-care programmes with their items and changes,
    the check-offs and the reminder time, and each trial with its consents and events."""
    reminder = ReminderSetting.objects.filter(client=client).first()
    return {
        "foot_checks": [
            {**_row(c), "photo": _photo_row(c)}
            for c in FootCheck.objects.filter(client=client)
            .select_related("photo")
            .order_by("reported_at", "id")
        ],
        "selfcare_programmes": [
            {
                **_row(p),
                "items": [_row(i, skip=("programme",)) for i in p.items.order_by("id")],
                "changes": [_row(c, skip=("programme",)) for c in p.changes.order_by("id")],
            }
            for p in Programme.objects.filter(client=client)
            .prefetch_related("items", "changes")
            .order_by("id")
        ],
        "selfcare_check_offs": [
            {**_row(c), "item_code": c.item.item_code}
            for c in CheckOff.objects.filter(client=client).select_related("item").order_by("day", "id")
        ],
        "selfcare_reminder": _row(reminder) if reminder else None,
        "trials": [
            {
                **_row(t),
                "consents": [_row(c, skip=("trial",)) for c in t.consents.order_by("given_at", "id")],
                "events": [_row(e, skip=("trial",)) for e in t.events.order_by("at", "id")],
            }
            for t in Trial.objects.filter(client=client).prefetch_related("consents", "events").order_by("id")
        ],
    }


def _photo_row(check: FootCheck) -> dict[str, Any] | None:
    try:
        photo = check.photo
    except FootCheckPhoto.DoesNotExist:
        return None
    return {
        **_row(photo, skip=("data", "foot_check", "client")),
        "content_base64": base64.b64encode(bytes(photo.data)).decode("ascii"),
    }


def _money(client: Client) -> dict[str, Any]:
    """The client's money records (a complete export only): invoices with their lines, payments and refunds,
    courses, fees, the gift cards they bought (the code is the card's credential: its last four characters
    only) and memberships."""
    return {
        "invoices": [
            {**_row(i), "lines": [_row(line, skip=("invoice",)) for line in i.lines.order_by("id")]}
            for i in Invoice.objects.filter(client=client).prefetch_related("lines").order_by("id")
        ],
        "payments": [_row(p) for p in Payment.objects.filter(client=client).order_by("id")],
        "courses": [_row(c) for c in Course.objects.filter(client=client).order_by("id")],
        "fees": [_row(f) for f in Fee.objects.filter(client=client).order_by("id")],
        "gift_cards": [
            {**_row(g, skip=("code",)), "code_last4": g.last4}
            for g in GiftCard.objects.filter(client=client).order_by("id")
        ],
        "memberships": [_row(m) for m in Membership.objects.filter(client=client).order_by("id")],
    }


def _staff_only(client: Client) -> dict[str, Any]:
    """What only a complete export holds: the diary, who the record is shared with, the money records, and
    who opened the record."""
    return {
        "shares": [_row(s) for s in ClientShare.objects.filter(client=client).order_by("id")],
        **_money(client),
        "diary_entries": [_row(d) for d in DiaryEntry.objects.filter(client=client).order_by("id")],
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


def client_export_audit(*, actor: User, client: Client, fmt: str) -> None:
    """Record that the client's record left the system (who, which format)."""
    audit_record(
        actor=actor,
        action="view",
        obj=client,
        summary=f"Right-of-access export ({fmt})",
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
    "physical_measures": "Range of motion and Timed Up and Go",
    "past_visits": "Visits before NerveCare (imported)",
    "documents": "Documents (letters, clearances, referrals)",
    "portal_intakes": "Intake sent through the portal",
    "online_booking": "Online booking request",
    "contact_change_proposals": "Proposed changes to contact details",
    "foot_checks": "Daily foot checks",
    "selfcare_programmes": "Home self-care programmes",
    "selfcare_check_offs": "Self-care done at home",
    "selfcare_reminder": "Self-care reminder",
    "trials": "Single-client trials",
    "session_notes": "Session notes, amendments and adverse events",
    "diary_entries": "Diary entries",
    "shares": "Shared with",
    "invoices": "Invoices",
    "payments": "Payments and refunds",
    "courses": "Courses",
    "fees": "Fees",
    "gift_cards": "Gift cards",
    "memberships": "Memberships",
    "outcome_summary": "Outcome summary",
    "change_history": "Changes to the record (who, when)",
    "access_log": "Who opened or changed the record",
}


def client_export_pdf(document: dict[str, Any]) -> bytes:
    """The export as a readable PDF: the same content in plain sections (reportlab, like outcome reports)."""
    from reportlab.platypus import Spacer

    from nervecare.outcomes.reports.pdf import build_pdf, paragraph, table

    client = document["client"]
    story: list[Any] = [
        paragraph(_("Your record at %(clinic)s") % {"clinic": document["clinic"]["name"]}, "title"),
        paragraph(f"{client['first_name']} {client['last_name']}"),
        paragraph(
            _("Generated %(at)s · export format %(v)s · the same data is available as JSON.")
            % {"at": document["generated_at"], "v": document["schema_version"]},
            "small",
        ),
    ]
    if not document.get("complete", True):
        story.append(
            paragraph(
                _(
                    "A staff export: it holds what the person who made it may read (their own session notes). "
                    "The complete record is available to the client and to the clinic's admins."
                ),
                "small",
            )
        )
    for key, title in SECTION_TITLES.items():
        if key not in document:
            continue
        value = document[key]
        story.append(paragraph(_(title), "h2"))
        if key == "outcome_summary":
            lines = value.get("summary") or [_("No outcome summary yet.")]
            story.extend(paragraph(line) for line in lines)
            continue
        if not value:
            story.append(paragraph(_("Nothing recorded."), "small"))
            continue
        for number, record in enumerate(value if isinstance(value, list) else [value], start=1):
            if isinstance(value, list):
                story.append(paragraph(f"{_(title)} {number}", "small"))
            story.append(table([[_("Field"), _("Value")], *_pdf_rows(record)], widths=[150, 330]))
            story.append(Spacer(1, 6))
    return build_pdf(story, title=_("Client record export"), author="NerveCare")


def _pdf_rows(record: dict[str, Any], prefix: str = "") -> list[list[str]]:
    rows: list[list[str]] = []
    for key, value in record.items():
        if key == "content_base64":
            continue  # the file itself is in the JSON export; the PDF lists it
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
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:4000]
