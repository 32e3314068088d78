"""The client's own money in the portal: invoices and receipts (PDF), courses left, balance, superbill."""

import datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from nervecare.billing import selectors as billing
from nervecare.billing.documents import invoice_pdf_response
from nervecare.core.audit import audit_view
from nervecare.core.pages import pdf_download
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.portal.views import client_view


@client_view
def invoices(request: AuthedHttpRequest, client) -> HttpResponse:
    return render(
        request,
        "portal/invoices.html",
        {
            "client": client,
            "invoices": list(billing.invoices_of_client(client)),
            "courses": list(billing.courses_of_client(client)),
            "gift_cards": list(billing.gift_cards_of_client(client)),
            "memberships": billing.memberships_of_client(client),
            "balance": billing.client_balance(client),
            "currency": client.clinic.currency,
        },
    )


@client_view
def invoice_download(request: AuthedHttpRequest, client, invoice_id: int) -> HttpResponse:
    invoice = billing.invoice_get_for_client(client, invoice_id)
    audit_view(request.user, invoice, summary="Own invoice downloaded in the portal")
    return invoice_pdf_response(invoice, "invoice")


@client_view
def receipt_download(request: AuthedHttpRequest, client, invoice_id: int) -> HttpResponse:
    invoice = billing.invoice_get_for_client(client, invoice_id)
    audit_view(request.user, invoice, summary="Own receipt downloaded in the portal")
    return invoice_pdf_response(invoice, "receipt")


@client_view
def superbill_download(request: AuthedHttpRequest, client) -> HttpResponse:
    """The client's own superbill for the last twelve months, to claim from an insurer or an HSA."""
    from nervecare.billing.pdf import superbill_pdf

    end = timezone.localdate(timezone=billing.clinic_zone(client.clinic))
    start = end - datetime.timedelta(days=365)
    return pdf_download(
        superbill_pdf(billing.superbill_data(client, start, end)), filename="my-superbill.pdf"
    )
