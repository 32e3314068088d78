"""Each client's attributes for grouping: neuropathy type and cause, the plan's modality, the therapist,
attendance, signed notes and adverse events, read for the whole clinic in a few grouped queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import timezone

from nervecare.clients.models import Client, Condition
from nervecare.core.models import Clinic, Therapist
from nervecare.outcomes import stats, summary
from nervecare.outcomes.analysis import dropped_out
from nervecare.outcomes.rules import outcome_rules, session_band
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment
from nervecare.visits.models import AdverseEvent, SessionNote


@dataclass
class ClientRow:
    client_id: int
    type: str = "none"
    cause: str = "none"
    modality: str = "none"
    therapist: str = "none"
    therapist_id: int | None = None
    completed: int = 0
    no_show: int = 0
    cancelled: int = 0
    upcoming: int = 0
    signed_notes: int = 0
    adverse_events: int = 0
    severe_events: int = 0
    dropped_out: bool = False
    sessions: str = "0"
    baseline: float | None = None
    current: float | None = None
    n_weeks: int = 0
    status: str = stats.NO_DATA


def client_rows(clinic: Clinic, *, now: dt.datetime | None = None) -> dict[int, ClientRow]:
    """Type, cause, plan, attendance and adverse events of each client of the clinic (a few grouped queries)."""
    now = now or timezone.now()
    rules = outcome_rules()
    rows = {cid: ClientRow(cid) for cid in Client.objects.filter(clinic=clinic).values_list("id", flat=True)}
    seen: set[int] = set()
    for cid, ntype, cause in (
        Condition.objects.filter(client__clinic=clinic, client__deleted_at__isnull=True)
        .order_by("client_id", "id")
        .values_list("client_id", "type", "cause")
    ):
        if cid not in seen:
            seen.add(cid)
            rows[cid].type, rows[cid].cause = ntype, cause
    names = dict(Therapist.objects.filter(clinic=clinic).values_list("id", "display_name"))
    best = summary.plans_that_count(CarePlan.objects.filter(client__clinic=clinic))
    appts = (
        Appointment.objects.filter(clinic=clinic)
        .values("client_id")
        .annotate(
            completed=Count("id", filter=Q(status="completed", starts_at__lte=now)),
            no_show=Count("id", filter=Q(status="no_show", starts_at__lte=now)),
            cancelled=Count("id", filter=Q(status="cancelled")),
            upcoming=Count("id", filter=Q(status__in=("booked", "checked_in"), starts_at__gt=now)),
            last_completed=Max("starts_at", filter=Q(status="completed", starts_at__lte=now)),
        )
    )
    attendance = {a["client_id"]: a for a in appts}
    for cid, n in (
        SessionNote.objects.filter(
            client__clinic=clinic, client__deleted_at__isnull=True, signed_at__isnull=False
        )
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
    ):
        rows[cid].signed_notes = n
    for cid, n, severe in (
        AdverseEvent.objects.filter(
            note__client__clinic=clinic, note__client__deleted_at__isnull=True, note__signed_at__isnull=False
        )
        .values("note__client_id")
        .annotate(n=Count("id"), severe=Count("id", filter=Q(severity="severe")))
        .values_list("note__client_id", "n", "severe")
    ):
        rows[cid].adverse_events, rows[cid].severe_events = n, severe
    for cid, row in rows.items():
        plan = best.get(cid, (None, None))[1]
        if plan:
            row.modality = plan["modality"]
            row.therapist_id = plan["therapist_id"]
            row.therapist = names.get(plan["therapist_id"], "none") if plan["therapist_id"] else "none"
        a = attendance.get(cid)
        if a:
            row.completed, row.no_show, row.cancelled, row.upcoming = (
                a["completed"],
                a["no_show"],
                a["cancelled"],
                a["upcoming"],
            )
        row.sessions = session_band(row.completed)
        row.dropped_out = dropped_out(
            plan_status=plan["status"] if plan else None,
            completed=row.completed,
            planned=plan["course_weeks"] * plan["sessions_per_week"] if plan else None,
            last_completed=a["last_completed"] if a else None,
            upcoming=row.upcoming,
            now=now,
            dropout_weeks=rules.data.dropout_weeks,
        )
    return rows
