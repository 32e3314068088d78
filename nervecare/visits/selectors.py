"""Reads of session notes and the review list. The one place that decides who may open a note."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import User
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.vocab import load_yaml
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment
from nervecare.screening.models import SafetyFlag
from nervecare.screening.selectors import flag_as_dict
from nervecare.visits.models import NOTE_FIELDS, AdverseEvent, NoteAmendment, SessionNote

REVIEW_RULES_FILE = "visits/data/review_rules.yaml"


# --- Who may open a note --------------------------------------------------------------------------------


def note_access_check(user: User, appointment: Appointment) -> None:
    """Only the appointment's therapist or an admin of its clinic may open, edit, sign or amend its note.

    Another clinic's appointment is "not found" (never reveal that it exists); the front desk and another
    therapist of the same clinic are refused with a reason."""
    require_clinical(user)
    if appointment.clinic_id != user.clinic_id:
        raise Http404("No such appointment.")
    if user.role == User.Role.ADMIN:
        return
    if appointment.therapist.user_id != user.id:
        raise PermissionDenied(
            f"Only the appointment's therapist ({appointment.therapist.display_name}) or a clinic admin "
            "may open or change this session note."
        )


def notes_visible_to(user: User) -> QuerySet[SessionNote]:
    """THE rule for which session notes (with their amendments and adverse events) a user may read, as a
    queryset: the same rule note_access_check applies to one note. An admin: every note of their clinic; a
    therapist: the notes of their own sessions, even for a client shared with them; anyone else: none.

    Every other path to note content (the record export, FHIR, outcome reports, the dashboard) reads notes
    through here, so that no path hands out a note its own route refuses."""
    clinic_id = user.clinic_id if getattr(user, "is_authenticated", False) and user.is_clinical else None
    if clinic_id is None:
        return SessionNote.objects.none()
    qs = SessionNote.objects.filter(client__clinic_id=clinic_id, appointment__clinic_id=clinic_id)
    if user.role != User.Role.ADMIN:
        qs = qs.filter(appointment__therapist__user_id=user.pk)
    return qs


def adverse_events_visible_to(user: User) -> QuerySet[AdverseEvent]:
    """The adverse events the user may read: those of the notes they may open (notes_visible_to)."""
    return AdverseEvent.objects.filter(note__in=notes_visible_to(user))


def amendments_visible_to(user: User) -> QuerySet[NoteAmendment]:
    """The amendments the user may read: those of the notes they may open (notes_visible_to)."""
    return NoteAmendment.objects.filter(note__in=notes_visible_to(user))


def _appointments() -> QuerySet[Appointment]:
    # The clinic's safety thresholds come along: the note's safety check reads them (no query of its own).
    return Appointment.objects.select_related("client", "therapist", "service", "clinic__safety_thresholds")


def _notes() -> QuerySet[SessionNote]:
    return SessionNote.objects.select_related(
        "appointment__therapist", "appointment__service", "client", "signed_by", "created_by"
    ).prefetch_related(
        Prefetch("amendments", queryset=NoteAmendment.objects.select_related("author")),
        Prefetch("adverse_events", queryset=AdverseEvent.objects.select_related("recorded_by")),
    )


def appointment_get_for_note(user: User, appointment_id: int) -> Appointment:
    """The appointment whose note the user wants to open: 404 for another clinic, 403 for the wrong person."""
    require_clinical(user)
    appointment = _appointments().filter(pk=appointment_id, clinic_id=clinic_id_of(user)).first()
    if appointment is None:
        raise Http404("No such appointment.")
    note_access_check(user, appointment)
    return appointment


def note_get_for_user(user: User, note_id: int) -> SessionNote:
    """One note with its amendments and adverse events, if the user may open it."""
    require_clinical(user)
    note = _notes().filter(pk=note_id, client__clinic_id=clinic_id_of(user)).first()
    if note is None:
        raise Http404("No such session note.")
    note_access_check(user, note.appointment)
    return note


def adverse_event_get_for_user(user: User, note_id: int, event_id: int) -> AdverseEvent:
    note = note_get_for_user(user, note_id)
    event = next((e for e in note.adverse_events.all() if e.id == event_id), None)
    if event is None:
        raise Http404("No such adverse event.")
    return event


def note_for_appointment(appointment: Appointment) -> SessionNote | None:
    return _notes().filter(appointment=appointment).first()


def note_for_answer(appointment: Appointment) -> SessionNote | None:
    """The note of an appointment with exactly what note_as_dict reads (a write's answer, as stored)."""
    return (
        SessionNote.objects.select_related("appointment__therapist", "signed_by")
        .prefetch_related(
            Prefetch("amendments", queryset=NoteAmendment.objects.select_related("author")),
            Prefetch("adverse_events", queryset=AdverseEvent.objects.select_related("recorded_by")),
        )
        .filter(appointment=appointment)
        .first()
    )


def notes_for_client(user: User, client: Client) -> list[SessionNote]:
    """The client's notes the user may open (an admin: all; a therapist: those of their own sessions),
    newest session first."""
    require_clinical(user)
    qs = _notes().filter(client=client).filter(pk__in=notes_visible_to(user).values("pk"))
    return list(qs.order_by("-appointment__starts_at", "-id"))


# --- The note as plain data ------------------------------------------------------------------------------


def flag_snapshot(flag: SafetyFlag) -> dict[str, Any]:
    """A flag as kept in a note: what the therapist saw, plus the effects the note was checked against."""
    return flag_as_dict(flag) | {"effects": flag.effects}


def current_values(note: SessionNote) -> dict[str, Any]:
    """The note's content with its amendments applied in order (the signed values stay in the note)."""
    values = {name: getattr(note, name) for name in NOTE_FIELDS}
    for amendment in note.amendments.all():
        for name, (_old, new) in amendment.changes.items():
            values[name] = new
    return values


def current_value(note: SessionNote, name: str) -> Any:
    """One field of the note with its amendments applied."""
    value = getattr(note, name)
    for amendment in note.amendments.all():
        if name in amendment.changes:
            value = amendment.changes[name][1]
    return value


def amended_fields(note: SessionNote) -> set[str]:
    return {name for a in note.amendments.all() for name in a.changes}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def adverse_event_as_dict(event: AdverseEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "note_id": event.note_id,
        "kind": event.kind,
        "severity": event.severity,
        "description": event.description,
        "follow_up": event.follow_up,
        "resolved": event.resolved,
        "resolved_at": _iso(event.resolved_at),
        "recorded_by": event.recorded_by.username if event.recorded_by else None,
        "created_at": _iso(event.created_at),
    }


def amendment_as_dict(amendment: NoteAmendment) -> dict[str, Any]:
    return {
        "id": amendment.id,
        "author": amendment.author.username if amendment.author else None,
        "created_at": _iso(amendment.created_at),
        "reason": amendment.reason,
        "changes": amendment.changes,
        "text": amendment.text,
    }


def note_as_dict(note: SessionNote) -> dict[str, Any]:
    """The note as signed (or as the draft stands), its amendments, and the content with them applied."""
    appointment = note.appointment
    return {
        "id": note.id,
        "appointment_id": note.appointment_id,
        "client_id": note.client_id,
        "therapist": appointment.therapist.display_name,
        "session_starts_at": _iso(appointment.starts_at),
        "status": "signed" if note.is_signed else "draft",
        **{name: getattr(note, name) for name in NOTE_FIELDS},
        "flags": note.flags,
        "flags_checked_at": _iso(note.flags_checked_at),
        "signed_at": _iso(note.signed_at),
        "signed_by": note.signed_by.username if note.signed_by else None,
        "created_at": _iso(note.created_at),
        "updated_at": _iso(note.updated_at),
        "adverse_events": [adverse_event_as_dict(e) for e in note.adverse_events.all()],
        "amendments": [amendment_as_dict(a) for a in note.amendments.all()],
        "current": current_values(note),
    }


# --- Clients whose soreness does not settle --------------------------------------------------------------


def review_rules() -> dict[str, Any]:
    """The review thresholds (NerveCare defaults kept as data in visits/data/review_rules.yaml)."""
    return load_yaml(REVIEW_RULES_FILE)


@dataclass(frozen=True)
class ReviewReason:
    code: str  # soreness_high · soreness_rising · adverse_event_unresolved
    message: str


@dataclass
class ReviewItem:
    client: Client
    reasons: list[ReviewReason] = field(default_factory=list)
    # Soreness after the client's most recent signed sessions, oldest first.
    recent_soreness: list[int | None] = field(default_factory=list)


def soreness_reasons(newest_first: list[int | None], rules: dict[str, Any]) -> list[ReviewReason]:
    """Apply the soreness rules to the soreness after a client's signed sessions, newest first."""
    soreness = rules["soreness"]
    high, high_n, rising_n = soreness["high"], soreness["high_sessions"], soreness["rising_sessions"]
    reasons = []
    last = newest_first[:high_n]
    if len(last) == high_n and all(s is not None and s >= high for s in last):
        reasons.append(
            ReviewReason(
                "soreness_high",
                f"Soreness of {high} or more after each of the last {high_n} sessions "
                f"({', '.join(str(s) for s in reversed(last))}).",
            )
        )
    window = list(reversed(newest_first[:rising_n]))
    run = [s for s in window if s is not None]  # a session without a score breaks the run
    if (
        len(window) == rising_n
        and len(run) == rising_n
        and all(a < b for a, b in zip(run, run[1:], strict=False))
    ):
        reasons.append(
            ReviewReason(
                "soreness_rising",
                f"Soreness rising over the last {rising_n} sessions ({' → '.join(str(s) for s in run)}).",
            )
        )
    return reasons


def clients_needing_review(clinic_id: int, *, user: User | None = None) -> list[ReviewItem]:
    """Clients of the clinic whose soreness does not settle or who have an unresolved adverse event, with
    the reasons. Amended soreness counts as amended. A fixed number of queries, however many clients.
    With `user`, only the clients whose record that user may see (clients_visible_to), and reasons drawn only
    from the notes that user may open (notes_visible_to), as the notes route would give them."""
    rules = review_rules()
    notes = SessionNote.objects.filter(client__clinic_id=clinic_id)
    if user is not None:
        notes = notes.filter(pk__in=notes_visible_to(user).values("pk"))
    depth = max(rules["soreness"]["high_sessions"], rules["soreness"]["rising_sessions"])
    # Only each client's `depth` latest signed notes leave the database (a window function), as plain rows:
    # the page is read on every sign-in, and a clinic's whole note history is large.
    latest = (
        notes.filter(signed_at__isnull=False)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("client_id")],
                order_by=[F("appointment__starts_at").desc(), F("signed_at").desc(), F("id").desc()],
            )
        )
        .filter(recency__lte=depth)
        .order_by("client_id", "recency")
        .values_list("id", "client_id", "soreness_after")
    )
    # Amended soreness counts as amended (amendments in order, the last one wins; they are few).
    amended_soreness: dict[int, Any] = {}
    for note_id, changes in NoteAmendment.objects.filter(
        note__in=notes, note__signed_at__isnull=False
    ).values_list("note_id", "changes"):
        if "soreness_after" in changes:
            amended_soreness[note_id] = changes["soreness_after"][1]
    soreness: dict[int, list[int | None]] = defaultdict(list)
    for note_id, client_id, value in latest:
        soreness[client_id].append(amended_soreness.get(note_id, value))
    reasons: dict[int, list[ReviewReason]] = defaultdict(list)
    for client_id, newest_first in soreness.items():
        reasons[client_id].extend(soreness_reasons(newest_first, rules))
    if rules["adverse_events"]["unresolved"]:
        unresolved = (
            AdverseEvent.objects.filter(note__in=notes, resolved=False)
            .select_related("note__appointment")
            .order_by("note__appointment__starts_at", "id")
        )
        for event in unresolved:
            reasons[event.note.client_id].append(
                ReviewReason(
                    "adverse_event_unresolved",
                    f"Unresolved adverse event: {event.get_kind_display().lower()} "
                    f"({event.get_severity_display().lower()}) after the session of "
                    f"{event.note.appointment.starts_at:%Y-%m-%d}.",
                )
            )
    flagged = {client_id: found for client_id, found in reasons.items() if found}
    clients = Client.objects.filter(pk__in=flagged, clinic_id=clinic_id).select_related("primary_therapist")
    if user is not None:
        clients = clients.filter(pk__in=clients_visible_to(user).values("pk"))
    return [
        ReviewItem(
            client=client,
            reasons=flagged[client.id],
            recent_soreness=list(reversed(soreness.get(client.id, []))),
        )
        for client in clients
    ]


def review_item_as_dict(item: ReviewItem) -> dict[str, Any]:
    return {
        "client_id": item.client.id,
        "first_name": item.client.first_name,
        "last_name": item.client.last_name,
        "primary_therapist": item.client.primary_therapist.display_name
        if item.client.primary_therapist
        else None,
        "recent_soreness": item.recent_soreness,
        "reasons": [{"code": r.code, "message": r.message} for r in item.reasons],
    }


def record_card_past_sessions(user: User, client: Client) -> dict[str, Any]:
    """The record page's past sessions card: the last ten sessions with their notes."""
    return {
        "past": list(
            client.appointments.filter(starts_at__lt=timezone.now())
            .select_related("therapist", "note")
            .order_by("-starts_at")[:10]
        )
    }


def note_template(appointment: Appointment) -> dict[str, Any]:
    """How a new note starts (issue 19: note templates per plan): the treatment the session's care plan sets
    (modality, pressure, minutes), the areas treated and the "plan for next time" of the client's last note
    under the same plan, and the plan's precautions to keep in view. The therapist changes what differs."""
    plan = appointment.plan
    if plan is None:
        plan = CarePlan.objects.filter(client=appointment.client, status="active").order_by("-id").first()
    template: dict[str, Any] = {}
    if plan is not None:
        template.update(
            modality=plan.modality,
            pressure=plan.pressure,
            minutes=plan.session_minutes,
            precautions=list(plan.precautions or []),
            plan_label=str(plan),
        )
    previous = (
        _notes()
        .filter(client=appointment.client, appointment__starts_at__lt=appointment.starts_at)
        .order_by("-appointment__starts_at")
        .first()
    )
    if previous is not None:
        template["areas_treated"] = current_value(previous, "areas_treated") or []
        if current_value(previous, "next_session_plan"):
            template["from_last_time"] = current_value(previous, "next_session_plan")
    return template
