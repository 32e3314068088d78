"""An invoice's PDF (the invoice itself or a plain receipt) as a download: one place for the staff pages, the API
and the portal, which differ only in who may ask (they decide that, and audit, before calling)."""

from typing import Literal

from django.http import HttpResponse

from nervecare.billing import selectors
from nervecare.billing.models import Invoice
from nervecare.core.pages import pdf_download


def invoice_pdf_response(invoice: Invoice, kind: Literal["invoice", "receipt"]) -> HttpResponse:
    from nervecare.billing.pdf import invoice_pdf, receipt_pdf

    detail = selectors.invoice_detail(invoice)
    settings = selectors.billing_settings_for(invoice.clinic)
    if kind == "receipt":
        return pdf_download(receipt_pdf(detail, settings), filename=f"{invoice.display_number}-receipt.pdf")
    return pdf_download(invoice_pdf(detail, settings), filename=f"{invoice.display_number}.pdf")
