"""The claims ledger pages: one client's and the clinic's. The same selectors as the outcomes pages decide
who may see them (outcomes.selectors.client_for_outcomes; require_clinical for the clinic)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from nervecare.core.models import Clinic
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.outcomes import selectors
from nervecare.outcomes.claims.selectors import client_claims, clinic_claims


@login_required
@require_GET
def client_claims_page(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client = selectors.client_for_outcomes(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Claims ledger viewed")
    ledger = client_claims(client, reader=request.user)
    return render(request, "outcomes/claims.html", {"client": client, "ledger": ledger})


@login_required
@require_GET
def clinic_claims_page(request: AuthedHttpRequest) -> HttpResponse:
    require_clinical(request.user)
    clinic = Clinic.objects.get(pk=clinic_id_of(request.user))
    audit_record(actor=request.user, action="view", obj=clinic, summary="Clinic claims ledger viewed")
    return render(request, "outcomes/claims.html", {"clinic": clinic, "ledger": clinic_claims(clinic)})
