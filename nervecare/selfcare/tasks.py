"""Background jobs of home self-care: the every-minute reminder e-mails (the queue itself: core/jobs.py)."""

from huey import crontab

from nervecare.core.jobs import huey


@huey.periodic_task(crontab(minute="*"))
def send_selfcare_reminders() -> int:
    """Every minute: queue the self-care reminder e-mails whose time has come (one a day per client)."""
    from nervecare.selfcare.reminders import send_due

    return send_due()
