"""Writes for session notes: save the draft, sign it, amend it, record adverse events.

Each write is one transaction, checks who may write (selectors.note_access_check), validates everything
before storing anything, and leaves an audit event.

A package (the house style's ~500 lines): notes.py (open, save, sign), amendments.py (amendments and adverse
events after signing), checks.py (the checks they share), errors.py (why a note cannot change as asked). The
names the callers use are here.
"""

from nervecare.visits.services.amendments import adverse_event_add, adverse_event_update, note_amend
from nervecare.visits.services.errors import NoteLockedError, NoteStateError, SessionBlockedError
from nervecare.visits.services.notes import note_open, note_save, note_sign

__all__ = [
    "NoteLockedError",
    "NoteStateError",
    "SessionBlockedError",
    "adverse_event_add",
    "adverse_event_update",
    "note_amend",
    "note_open",
    "note_save",
    "note_sign",
]
