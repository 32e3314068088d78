"""Reads for outcomes: one client's data gathered from the record (permission-checked), and the clinic's.

The statistics live in analysis/ (one client) and cohort/ (the clinic); this module only decides what
is read, with which joins, and who may read it.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client, Condition
from nervecare.clients.selectors import client_get_for_user, clients_visible_to
from nervecare.core.models import User
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.outcomes.models import ReportJob
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment
from nervecare.screening.models import InstrumentResponse, SafetyFlag
from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote
from nervecare.visits.selectors import notes_visible_to

RATING_NOTE_FIELDS = (
    "pain_before",
    "pain_after",
    "numbness_before",
    "numbness_after",
    "tingling_before",
    "tingling_after",
    "soreness_after",
)


@dataclass
class NoteRatings:
    """A signed note's ratings with its amendments applied, and what an outcome needs about its session."""

    id: int
    appointment_id: int
    starts_at: dt.datetime
    therapist: str
    modality: str
    ratings: dict[str, int | None]
    adverse_events: list[AdverseEvent] = field(default_factory=list)


@dataclass
class ClientData:
    """Everything one client's outcome analysis reads, fetched in a fixed number of queries.

    The count of open stop flags is read when first asked for: only a plan's re-evaluation points use it."""

    client: Client
    conditions: list[Condition]
    responses: list[InstrumentResponse]
    notes: list[NoteRatings]
    appointments: list[Appointment]
    plans: list[CarePlan]
    now: dt.datetime
    _open_stop_flags: int | None = None

    @property
    def open_stop_flags(self) -> int:
        if self._open_stop_flags is None:
            self._open_stop_flags = self.client.flags.filter(
                status=SafetyFlag.Status.OPEN, level=SafetyFlag.Level.STOP
            ).count()
        return self._open_stop_flags


def choose_plan(plans: list[CarePlan]) -> CarePlan | None:
    """The plan outcomes are read against: the active one; else the newest finished or cancelled one; else
    the newest proposal."""
    for statuses in (("active",), ("completed", "cancelled"), ("proposed",)):
        chosen = [p for p in plans if p.status in statuses]
        if chosen:
            return max(chosen, key=lambda p: (p.created_at, p.id))
    return None


# What the analysis reads of each row (analysis.py, reevaluation.py), and client_id (the related manager sets
# each row's client from it): the rest stays in the database.
RESPONSE_FIELDS = (
    "id",
    "client_id",
    "instrument",
    "context",
    "administered_at",
    "total",
    "max_total",
    "interpretation",
)
ADVERSE_EVENT_FIELDS = ("id", "note_id", "kind", "severity", "resolved", "created_at")


def _amended(value: Any, name: str, changes: list[dict[str, Any]]) -> Any:
    """visits.selectors.current_value on plain rows: the amendments in order, the last change wins."""
    for change in changes:
        if name in change:
            value = change[name][1]
    return value


def client_data(client: Client, *, reader: User | None = None, now: dt.datetime | None = None) -> ClientData:
    """Read one client's outcome data (no permission check on the client: callers use client_for_outcomes).

    With `reader`, only the session notes that user may open (visits.selectors.notes_visible_to) count, with
    their amendments and adverse events: a therapist the client is shared with gets the outcomes of their own
    sessions, as the notes route would give them. Without it (the client's own portal, services), all."""
    signed = SessionNote.objects.filter(client=client, signed_at__isnull=False)
    if reader is not None:
        signed = signed.filter(pk__in=notes_visible_to(reader).values("pk"))
    rows = list(
        signed.order_by("appointment__starts_at", "id").values_list(
            "id",
            "appointment_id",
            "appointment__starts_at",
            "appointment__therapist__display_name",
            "modality",
            *RATING_NOTE_FIELDS,
        )
    )
    changes: dict[int, list[dict[str, Any]]] = {}
    events: dict[int, list[AdverseEvent]] = {}
    if rows:
        ids = [r[0] for r in rows]
        for note_id, change in (
            NoteAmendment.objects.filter(note_id__in=ids)
            .order_by("created_at", "id")
            .values_list("note_id", "changes")
        ):
            changes.setdefault(note_id, []).append(change)
        for event in (
            AdverseEvent.objects.filter(note_id__in=ids)
            .order_by("created_at", "id")
            .only(*ADVERSE_EVENT_FIELDS)
        ):
            events.setdefault(event.note_id, []).append(event)
    notes = []
    for note_id, appointment_id, starts_at, therapist, modality, *ratings in rows:
        amendments = changes.get(note_id, [])
        notes.append(
            NoteRatings(
                id=note_id,
                appointment_id=appointment_id,
                starts_at=starts_at,
                therapist=therapist,
                modality=str(_amended(modality, "modality", amendments)),
                ratings={
                    f: _int_or_none(_amended(v, f, amendments))
                    for f, v in zip(RATING_NOTE_FIELDS, ratings, strict=True)
                },
                adverse_events=events.get(note_id, []),
            )
        )
    return ClientData(
        client=client,
        conditions=list(client.conditions.order_by("id")),
        responses=list(client.responses.order_by("administered_at", "id").only(*RESPONSE_FIELDS)),
        notes=notes,
        appointments=list(
            client.appointments.order_by("starts_at", "id").only(
                "id", "client_id", "starts_at", "status", "plan_id", "due_measures"
            )
        ),
        plans=list(client.plans.select_related("therapist")),
        now=now or timezone.now(),
    )


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def client_for_outcomes(user: User, client_id: int) -> Client:
    """The client, if the user may see its clinical record (404 for another clinic's, 403 for a role)."""
    return client_get_for_user(user, client_id)


def report_job_get_for_user(user: User, job_id: int) -> Any:
    """A clinic report job of the user's own clinic (404 otherwise)."""
    require_clinical(user)
    job = ReportJob.objects.filter(pk=job_id, clinic_id=clinic_id_of(user)).first()
    if job is None:
        raise Http404("No such report.")
    return job


def cohort_clients_visible(user: User, result: dict[str, Any]) -> dict[str, Any]:
    """The cohort result with its per-client rows cut to the clients whose record the user may see.

    Aggregates (responder rates, means, the model) stay clinic-wide for the clinic's therapists and admins:
    they name nobody. A row per client is a drill-down, so a therapist gets only their own and shared
    clients' rows (an admin: all of the clinic)."""
    visible = set(clients_visible_to(user).values_list("pk", flat=True))
    return {**result, "clients": [r for r in result["clients"] if r.client_id in visible]}


def record_card_outcomes(user: User, client: Client) -> dict[str, Any]:
    """The record page's outcomes card: links only (the charts and report are computed on their pages)."""
    return {}
