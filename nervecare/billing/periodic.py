"""The memberships' monthly invoices, every night (a job of its own module: it calls the services, and the
services queue tasks.py's e-mail, so tasks.py cannot import them)."""

from huey import crontab

from nervecare.billing.services.memberships import membership_invoices_due
from nervecare.core.jobs import huey


@huey.periodic_task(crontab(hour="2", minute="5"))
def invoice_memberships() -> int:
    """Before the nightly course expiry: each membership month that has begun is invoiced (idempotent)."""
    return membership_invoices_due()
