"""Background jobs of scheduling: the every-minute reminder delivery and release of expired online holds (the
queue itself: core/jobs.py)."""

from huey import crontab

from nervecare.core.jobs import huey
from nervecare.scheduling.reminders import deliver_due
from nervecare.scheduling.services.checks import release_expired_holds


@huey.periodic_task(crontab(minute="*"))
def deliver_reminders() -> dict[str, int]:
    """Every minute: send the reminder emails that are due (safe to run on several consumers at once)."""
    return deliver_due()


@huey.periodic_task(crontab(minute="*"))
def expire_online_holds() -> int:
    """Every minute: release (cancel) the online holds whose e-mail confirmation did not come in time. Reads
    already treat them as free and bookings release them themselves: this only tidies up."""
    return release_expired_holds()
