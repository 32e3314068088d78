"""Queue an invoice or receipt e-mail (the job sends it: tasks.send_invoice_email)."""

from django.db import transaction

from nervecare.billing.models import Invoice
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_billing
from nervecare.core.services import audit_record


def invoice_send(*, actor: User, invoice: Invoice, receipt: bool = False) -> None:
    """E-mail the invoice (or its receipt) to the client through the job queue, after the commit."""
    from nervecare.billing.tasks import send_invoice_email

    require_billing(actor)
    if not invoice.client.email:
        raise FieldErrors({"email": "the client has no e-mail address: add one on their details"})
    audit_record(
        actor=actor,
        action="export",
        obj=invoice,
        summary=f"{'Receipt' if receipt else 'Invoice'} {invoice.display_number} e-mailed to the client",
    )
    transaction.on_commit(lambda: send_invoice_email(invoice.pk, receipt))
