"""Background job of online booking: erase the requests never confirmed (the queue itself: core/jobs.py)."""

from huey import crontab

from nervecare.booking.services import online_requests_erase_unconfirmed
from nervecare.core.jobs import huey


@huey.periodic_task(crontab(minute="17"))
def erase_unconfirmed_online_requests() -> int:
    """Hourly: erase the provisional clients whose confirmation link expired unconfirmed."""
    return online_requests_erase_unconfirmed()
