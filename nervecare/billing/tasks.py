"""Background jobs of billing: e-mailing an invoice or receipt as a PDF, and the daily course expiry (the
memberships' monthly invoices are in periodic.py: they need the services, which queue this module's e-mail)."""

from django.core.mail import EmailMessage
from huey import crontab

from nervecare.billing.expiry import course_expire_due
from nervecare.billing.models import Invoice
from nervecare.billing.selectors import billing_settings_for, invoice_detail
from nervecare.core.jobs import huey


def invoice_email(invoice: Invoice, *, receipt: bool = False) -> EmailMessage:
    """The e-mail with the invoice (or the receipt) attached as a PDF."""
    from nervecare.billing.pdf import invoice_pdf, receipt_pdf

    detail = invoice_detail(invoice)
    settings = billing_settings_for(invoice.clinic)
    document = (
        "Receipt" if receipt else ("Credit note" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "Invoice")
    )
    pdf = (receipt_pdf if receipt else invoice_pdf)(detail, settings)
    message = EmailMessage(
        subject=f"{document} {invoice.display_number} from {invoice.clinic.name}",
        body=(
            f"Dear {invoice.client.first_name},\n\nPlease find attached your {document.lower()} "
            f"{invoice.display_number} from {invoice.clinic.name}. You can also see it in your portal.\n"
        ),
        to=[invoice.client.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach(f"{invoice.display_number}{'-receipt' if receipt else ''}.pdf", pdf, "application/pdf")
    return message


@huey.task(retries=5, retry_delay=60)
def send_invoice_email(invoice_id: int, receipt: bool = False) -> bool:
    """Send one invoice or receipt by e-mail (retried on a mail server error)."""
    invoice = Invoice.objects.select_related("client", "clinic", "credits").filter(pk=invoice_id).first()
    if invoice is None or not invoice.client.email:
        return False
    invoice_email(invoice, receipt=receipt).send()
    return True


@huey.periodic_task(crontab(minute="15"))
def expire_courses() -> int:
    """Every hour: courses past their expiry date in their clinic's time zone stop taking sessions (check-out
    refuses an expired course by the clinic's date anyway; this keeps the lists and books current)."""
    return course_expire_due()
