"""Client emails about appointments (reminders, moved, cancelled): an outbox the job queue delivers.

The booking services call these hooks inside their transaction, so a reminder row exists exactly when the
appointment change is committed.
"""

from nervecare.scheduling.models import Appointment


def on_booked(appointment: Appointment) -> None:
    """Plan the reminder for a new appointment."""


def on_moved(appointment: Appointment, old_start) -> None:  # noqa: ANN001
    """The appointment moved: drop the old reminder, plan a new one, and tell the client."""


def on_cancelled(appointment: Appointment) -> None:
    """The appointment was cancelled: drop its reminder and tell the client."""
