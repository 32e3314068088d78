"""Prices, the clinic's money settings and the therapists' identifiers (reads: the desk and admins; writes: admins)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from nervecare.billing import selectors
from nervecare.billing.api.common import (
    router,
)
from nervecare.billing.models import Price
from nervecare.billing.schemas import (
    PriceIn,
    PriceOut,
    ProviderIdsIn,
    ProviderIdsOut,
    SettingsIn,
    SettingsOut,
)
from nervecare.billing.services import prices
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.models import Therapist
from nervecare.core.permissions import (
    clinic_of,
    require_billing,
    require_billing_admin,
)
from nervecare.core.request_types import AuthedHttpRequest

# --- prices and settings ---------------------------------------------------------------------------------


def price_out(p: Price) -> dict[str, Any]:
    return {
        "id": p.pk,
        "service_id": p.service_id,
        "service": p.service.name,
        "therapist_id": p.therapist_id,
        "amount": p.amount,
        "currency": p.currency,
        "tax_exempt": p.tax_exempt,
        "cpt_code": p.cpt_code,
    }


@router.get("/billing/prices", response={200: list[PriceOut], **error_responses()}, summary="Prices")
def list_prices(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    require_billing(request.user)
    return [price_out(p) for p in selectors.prices_for_clinic(clinic_of(request.user).pk)]


@router.put(
    "/billing/prices",
    response={200: PriceOut, **error_responses(*BODY)},
    summary="Set a service's price (or one therapist's price for it; admins)",
)
def set_price(request: AuthedHttpRequest, payload: PriceIn) -> dict[str, Any]:
    return price_out(prices.price_set(actor=request.user, **payload.model_dump()))


def _settings_out(request: AuthedHttpRequest) -> dict[str, Any]:
    clinic = clinic_of(request.user)
    s = selectors.billing_settings_for(clinic)
    return {
        "currency": clinic.currency,
        "tax_rate": s.tax_rate,
        "tax_label": s.tax_label,
        "tax_id": s.tax_id,
        "npi": s.npi,
        "late_cancel_fee": s.late_cancel_fee,
        "no_show_fee": s.no_show_fee,
        "tips_allowed": s.tips_allowed,
        "email_at_checkout": s.email_at_checkout,
        "cancellation_notice_hours": clinic.cancellation_notice_hours,
    }


@router.get("/billing/settings", response={200: SettingsOut, **error_responses()}, summary="Money settings")
def get_settings(request: AuthedHttpRequest) -> dict[str, Any]:
    require_billing(request.user)
    return _settings_out(request)


@router.patch(
    "/billing/settings",
    response={200: SettingsOut, **error_responses(*BODY)},
    summary="Change the tax rate, identifiers, fees and tips (admins)",
)
def patch_settings(request: AuthedHttpRequest, payload: SettingsIn) -> dict[str, Any]:
    prices.billing_settings_update(actor=request.user, data=payload.model_dump(exclude_none=True))
    return _settings_out(request)


@router.put(
    "/billing/therapists/{therapist_id}/identifiers",
    response={200: ProviderIdsOut, **error_responses(404, *BODY)},
    summary="A therapist's licence and NPI for superbills (admins)",
)
def put_provider_ids(request: AuthedHttpRequest, therapist_id: int, payload: ProviderIdsIn) -> dict[str, Any]:
    require_billing_admin(request.user)
    if not Therapist.objects.filter(pk=therapist_id, clinic_id=clinic_of(request.user).pk).exists():
        raise Http404("No such therapist.")
    row = prices.provider_ids_set(actor=request.user, therapist_id=therapist_id, **payload.model_dump())
    return {
        "therapist_id": row.therapist_id,
        "licence_number": row.licence_number,
        "licence_state": row.licence_state,
        "npi": row.npi,
    }
