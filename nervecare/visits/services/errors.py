"""Why a note cannot change as asked (the API answers 409 Conflict)."""

from django.utils import timezone

from nervecare.screening.models import SafetyFlag
from nervecare.visits.models import (
    SessionNote,
)


class NoteStateError(Exception):
    """The note is not in a state that allows this change (the API answers 409 Conflict)."""


class NoteLockedError(NoteStateError):
    """The note is signed: it changes only by an amendment."""

    def __init__(self, note: SessionNote):
        self.note = note
        super().__init__(
            f"This note was signed on {timezone.localtime(note.signed_at):%Y-%m-%d %H:%M} and is locked; "
            "add an amendment to correct it."
        )


class SessionBlockedError(NoteStateError):
    """An open stop flag for the note's modality: no treatment, so the note cannot be started or signed."""

    def __init__(self, flags: list[SafetyFlag]):
        self.flags = flags
        super().__init__(
            "The session cannot go ahead while these stop flags are open: "
            + "; ".join(f"{f.title} ({f.area})" for f in flags)
            + ". Do not treat; follow the flag's actions."
        )
