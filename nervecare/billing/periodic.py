"""The memberships' monthly invoices, every hour (a job of its own module: it calls the services, and the
services queue tasks.py's e-mail, so tasks.py cannot import them)."""

from huey import crontab

from nervecare.billing.services.memberships import membership_invoices_due
from nervecare.core.jobs import huey


@huey.periodic_task(crontab(minute="5"))
def invoice_memberships() -> int:
    """Every hour, so a month is invoiced within the hour after midnight in its clinic's time zone (clinics
    in several zones share the queue); each month that has begun there is invoiced once (idempotent)."""
    return membership_invoices_due()
