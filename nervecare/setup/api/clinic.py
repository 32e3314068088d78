"""The set-up API: the clinic's details and booking rules, and its safety thresholds. See
nervecare/setup/api/__init__.py for who may use it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.screening.models import SafetyThresholds
from nervecare.screening.selectors import thresholds_for
from nervecare.setup import selectors, services
from nervecare.setup.api._common import Strict, router

# --- clinic -----------------------------------------------------------------------------------------------


class ClinicOut(Schema):
    id: int
    name: str
    slug: str
    address: str
    phone: str
    email: str
    timezone: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    subdivision: str = Field(description="the holiday calendar's region code in the country (e.g. ENG)")
    currency: str = Field(description="ISO 4217")
    min_notice_hours: int
    booking_horizon_days: int
    cancellation_notice_hours: int
    online_booking_enabled: bool


class ClinicPatch(Strict):
    name: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=1000)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    timezone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    subdivision: str | None = Field(None, max_length=10)
    currency: str | None = Field(None, max_length=3)
    min_notice_hours: int | None = Field(None, ge=0, le=1440)
    booking_horizon_days: int | None = Field(None, ge=1, le=730)
    cancellation_notice_hours: int | None = Field(None, ge=0, le=1440)
    online_booking_enabled: bool | None = None


def _clinic_out(c: Clinic) -> dict[str, Any]:
    return {f: getattr(c, f) for f in ("id", "slug", *services.CLINIC_FIELDS)}


@router.get(
    "/setup/clinic",
    response={200: ClinicOut, **error_responses()},
    summary="The clinic's details and booking rules",
)
def get_clinic(request: AuthedHttpRequest) -> dict[str, Any]:
    return _clinic_out(selectors.clinic_for_admin(request.user))


@router.patch(
    "/setup/clinic",
    response={200: ClinicOut, **error_responses(*BODY)},
    summary="Change the clinic's details and booking rules",
)
def patch_clinic(request: AuthedHttpRequest, payload: ClinicPatch) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    # null empties a text that may be empty (address, phone, email, country, region); anything else needs a value
    # (a null yes/no or number was a 500, found by the API fuzz test).
    may_be_empty = ("address", "phone", "email", "country", "subdivision")
    required = {k: "cannot be empty" for k, v in data.items() if v is None and k not in may_be_empty}
    if required:
        raise FieldErrors(required)
    data = {k: ("" if v is None else v) for k, v in data.items()}
    return _clinic_out(services.clinic_update(actor=request.user, data=data))


# --- safety thresholds ------------------------------------------------------------------------------------


class ThresholdOut(Schema):
    field: str
    value: str = Field(description="the clinic's value (decimals as strings)")
    published_default: str
    source: str


class ThresholdsOut(Schema):
    platelets_min_per_ul: int
    platelets_policy: str
    neutrophils_min_per_ul: int
    fever_min_celsius: Decimal
    dvt_history_months: int
    sources: list[ThresholdOut]


class ThresholdsPatch(Strict):
    platelets_min_per_ul: int | None = None
    platelets_policy: Literal["modify", "stop"] | None = None
    neutrophils_min_per_ul: int | None = None
    fever_min_celsius: Decimal | None = Field(None, max_digits=4, decimal_places=1)
    dvt_history_months: int | None = None


THRESHOLD_FIELDS = (
    "platelets_min_per_ul",
    "platelets_policy",
    "neutrophils_min_per_ul",
    "fever_min_celsius",
    "dvt_history_months",
)


def _thresholds_out(row: SafetyThresholds) -> dict[str, Any]:
    sources = []
    for name in THRESHOLD_FIELDS:
        field = SafetyThresholds._meta.get_field(name)
        sources.append(
            {
                "field": name,
                "value": str(getattr(row, name)),
                "published_default": str(field.default),  # type: ignore[union-attr]
                "source": str(field.help_text),  # type: ignore[union-attr]
            }
        )
    return {**{f: getattr(row, f) for f in THRESHOLD_FIELDS}, "sources": sources}


@router.get(
    "/setup/safety-thresholds",
    response={200: ThresholdsOut, **error_responses()},
    summary="The clinic's safety thresholds, each with its published default and source",
)
def get_thresholds(request: AuthedHttpRequest) -> dict[str, Any]:
    return _thresholds_out(thresholds_for(selectors.clinic_for_admin(request.user)))


@router.patch(
    "/setup/safety-thresholds",
    response={200: ThresholdsOut, **error_responses(*BODY)},
    summary="Change safety thresholds (stricter than the published limits, never looser)",
)
def patch_thresholds(request: AuthedHttpRequest, payload: ThresholdsPatch) -> dict[str, Any]:
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _thresholds_out(services.thresholds_update(actor=request.user, data=data))
