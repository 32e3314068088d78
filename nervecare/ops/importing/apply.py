"""Writing what the dry run passed, in bulk, inside the caller's transaction (all or nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from nervecare.clients.models import Client, ClientAccessGrant
from nervecare.clients.selectors import clients_visible_to
from nervecare.core import audit
from nervecare.core.models import AuditEvent, User
from nervecare.ops.importing.rows import Checked
from nervecare.ops.models import ImportKey, ImportRun, PastVisit
from nervecare.scheduling.models import Appointment, Reminder
from nervecare.scheduling.reminders import reminder_lead

BATCH = 2000


def _event(actor: User, run: ImportRun, object_type: str, ids: list[int], summary: str) -> None:
    """One audit event per kind of row written, naming every id (bulk writes: record.py's module note)."""
    if not ids or not audit.enabled():
        return
    audit.append(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        object_type=object_type,
        object_id="*" if len(ids) > 1 else str(ids[0]),
        clinic_id=run.clinic_id,
        summary=f"{summary} ({len(ids)}) from {run.filename}",
        changes={"ids": [str(i) for i in ids], "count": len(ids), "import": str(run.pk)},
        ip_address=audit.client_ip(),
    )


def apply_clients(*, actor: User, run: ImportRun, checked: Checked) -> dict[str, int]:
    clients = [Client(clinic_id=run.clinic_id, created_by=actor, **row["values"]) for row in checked.new]
    created = Client.objects.bulk_create(clients, batch_size=BATCH)
    keys = [
        ImportKey(clinic_id=run.clinic_id, kind="client", external_id=row["key"], object_id=c.pk, run=run)
        for row, c in zip(checked.new, created, strict=True)
    ] + [
        ImportKey(
            clinic_id=run.clinic_id,
            kind="client",
            external_id=row["key"],
            object_id=row["object_id"],
            run=run,
        )
        for row in checked.linked
    ]
    ImportKey.objects.bulk_create(keys, batch_size=BATCH)
    _event(actor, run, "clients.client", [c.pk for c in created], "Clients imported")
    return {"clients_created": len(created), "clients_matched": len(checked.linked)}


def apply_appointments(*, actor: User, run: ImportRun, checked: Checked) -> dict[str, int]:
    now = timezone.now()
    future = [r for r in checked.new if not r["past"]]
    past = [r for r in checked.new if r["past"]]
    appointments = Appointment.objects.bulk_create(
        [
            Appointment(
                clinic_id=run.clinic_id,
                client_id=r["client_id"],
                therapist_id=r["therapist_id"],
                room_id=r["room_id"],
                service_id=r["service_id"],
                starts_at=r["starts_at"],
                ends_at=r["ends_at"],
                blocked_until=r["blocked_until"],
                status=Appointment.Status.BOOKED,
                created_by=actor,
            )
            for r in future
        ],
        batch_size=BATCH,
    )
    # Each future booking gets its reminder as a booking made here would (no "booked" email: the client
    # booked it in the other system).
    lead = reminder_lead()
    Reminder.objects.bulk_create(
        [
            Reminder(
                appointment_id=a.pk,
                kind=Reminder.Kind.REMINDER,
                for_start=a.starts_at,
                due_at=max(a.starts_at - lead, now),
            )
            for a in appointments
        ],
        batch_size=BATCH,
    )
    grants = _access_grants(actor=actor, future=future, appointments=appointments, now=now)
    visits = PastVisit.objects.bulk_create(
        [
            PastVisit(
                clinic_id=run.clinic_id,
                client_id=r["client_id"],
                visited_on=r["visited_on"],
                starts_at=r["starts_at"],
                therapist_name=r["therapist_name"][:200],
                service_name=r["service_name"][:200],
                status=r["status"][:40],
                run=run,
            )
            for r in past
        ],
        batch_size=BATCH,
    )
    ImportKey.objects.bulk_create(
        [
            ImportKey(
                clinic_id=run.clinic_id, kind="appointment", external_id=r["key"], object_id=a.pk, run=run
            )
            for r, a in zip(future, appointments, strict=True)
        ]
        + [
            ImportKey(clinic_id=run.clinic_id, kind="visit", external_id=r["key"], object_id=v.pk, run=run)
            for r, v in zip(past, visits, strict=True)
        ],
        batch_size=BATCH,
    )
    _event(actor, run, "scheduling.appointment", [a.pk for a in appointments], "Appointments imported")
    _event(actor, run, "ops.pastvisit", [v.pk for v in visits], "Past visits imported")
    _event(actor, run, "clients.clientaccessgrant", grants, "Access granted by imported bookings")
    return {
        "appointments_created": len(appointments),
        "past_visits_created": len(visits),
        "access_granted": len(grants),
    }


def _access_grants(
    *, actor: User, future: list[dict[str, Any]], appointments: list[Appointment], now: dt.datetime
) -> list[int]:
    """A booking by an admin grants the booked therapist the client's record while it is live (the scheduling
    rule): one grant per therapist and client who did not already see each other."""
    first: dict[tuple[int, int], int] = {}
    for r, a in zip(future, appointments, strict=True):
        first.setdefault((r["therapist_user_id"], r["client_id"]), a.pk)
    sees: dict[int, set[int]] = {}
    for user in User.objects.filter(pk__in={u for u, _c in first}):
        sees[user.pk] = set(clients_visible_to(user).values_list("pk", flat=True))
    rows = [
        ClientAccessGrant(
            client_id=client_id,
            user_id=user_id,
            reason=ClientAccessGrant.Reason.BOOKING,
            source_id=appointment_id,
            granted_by=actor,
            granted_at=now,
        )
        for (user_id, client_id), appointment_id in first.items()
        if client_id not in sees.get(user_id, set())
    ]
    return [g.pk for g in ClientAccessGrant.objects.bulk_create(rows, batch_size=BATCH)]
