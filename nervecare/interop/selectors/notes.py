"""Signed session notes the caller may open, amendments applied: the rows of Observation and Procedure."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from nervecare.interop.selectors.base import Scope, ValuesSource, of_clinic
from nervecare.visits.models import NOTE_FIELDS, NoteAmendment, SessionNote
from nervecare.visits.selectors import notes_visible_to


def _signed_notes(scope: Scope) -> QuerySet:
    # The notes route's own rule (visits.selectors.notes_visible_to): a therapist the client is shared with
    # still gets only the notes of their own sessions, here as on GET /api/v1/notes/{id}.
    readable = notes_visible_to(scope.user).filter(pk=OuterRef("pk"))
    return SessionNote.objects.filter(of_clinic(scope), Exists(readable), signed_at__isnull=False)


def _note_since(since: dt.datetime) -> Q:
    amended = NoteAmendment.objects.filter(note=OuterRef("pk"), created_at__gte=since)
    return Q(updated_at__gte=since) | Q(Exists(amended))


class NoteRows(ValuesSource):
    """Signed session notes the caller may open, with their amendments applied (as
    visits.selectors.current_values applies them) into `values`, and the session's times."""

    model = SessionNote
    fields: tuple[str, ...] = NOTE_FIELDS

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (
            "id",
            "client_id",
            "updated_at",
            "signed_at",
            "appointment_id",
            "appointment__starts_at",
            "appointment__ends_at",
            "appointment__therapist_id",
            *self.fields,
        )

    def queryset(self, scope: Scope) -> QuerySet:
        return _signed_notes(scope)

    def make(self, row: dict[str, Any]) -> Any:
        appointment = SimpleNamespace(
            pk=row["appointment_id"],
            starts_at=row["appointment__starts_at"],
            ends_at=row["appointment__ends_at"],
            therapist_id=row["appointment__therapist_id"],
        )
        return SimpleNamespace(
            pk=row["id"],
            client_id=row["client_id"],
            updated_at=row["updated_at"],
            signed_at=row["signed_at"],
            appointment=appointment,
            values={name: row[name] for name in self.fields},
        )

    def complete(self, objs: list[Any]) -> None:
        by_id = {n.pk: n for n in objs}
        amendments = (
            NoteAmendment.objects.filter(note_id__in=list(by_id))
            .order_by("created_at", "id")
            .values_list("note_id", "changes")
        )
        for note_id, changes in amendments:
            values = by_id[note_id].values
            for name, (_old, new) in changes.items():
                if name in values:
                    values[name] = new

    def since_q(self, since: dt.datetime) -> Q:
        return _note_since(since)
