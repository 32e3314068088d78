"""Background jobs of online booking: release expired holds, erase the requests never confirmed (the queue
itself: core/jobs.py)."""

from huey import crontab

from nervecare.booking.services import online_requests_erase_unconfirmed
from nervecare.core.jobs import huey
from nervecare.scheduling.services import release_expired_holds


@huey.periodic_task(crontab(minute="17"))
def erase_unconfirmed_online_requests() -> int:
    """Hourly: erase the provisional clients whose confirmation link expired unconfirmed."""
    return online_requests_erase_unconfirmed()


@huey.periodic_task(crontab(minute="*"))
def expire_online_holds() -> int:
    """Every minute: release (cancel) the online holds whose e-mail confirmation did not come in time. Reads
    already treat them as free and bookings release them themselves: this only tidies up."""
    return release_expired_holds()
