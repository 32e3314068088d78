"""Background jobs of scheduling: the every-minute reminder delivery (the queue itself: core/jobs.py)."""

from huey import crontab

from nervecare.core.jobs import huey
from nervecare.scheduling.reminders import deliver_due


@huey.periodic_task(crontab(minute="*"))
def deliver_reminders() -> dict[str, int]:
    """Every minute: send the reminder emails that are due (safe to run on several consumers at once)."""
    return deliver_due()
