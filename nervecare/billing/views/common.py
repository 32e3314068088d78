"""What the billing pages share: today in the clinic's zone, the "paid now" fields of a sale form, and a
service's errors put on the form's fields."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from nervecare.billing import selectors
from nervecare.core.pages import errors_to_form
from nervecare.core.permissions import clinic_of
from nervecare.core.request_types import AuthedHttpRequest


def today_for(request: AuthedHttpRequest) -> datetime.date:
    return timezone.localdate(timezone=selectors.clinic_zone(clinic_of(request.user)))


def payments_from(data: dict[str, Any]) -> list[dict[str, Any]]:
    if not data.get("pay_method"):
        return []
    return [
        {
            "method": data["pay_method"],
            "amount": data["pay_amount"],
            "card_last4": data.get("card_last4") or "",
            "reference": data.get("reference") or "",
        }
    ]


def form_errors(form: Any, errors: dict[str, str]) -> None:
    """Service errors onto the form: `payments[0].amount` shows on `pay_amount`, a discount's on its field."""
    mapped: dict[str, str] = {}
    for key, message in errors.items():
        field = key
        if key.startswith("payments["):
            field = {"amount": "pay_amount", "method": "pay_method"}.get(
                key.split(".")[-1], key.split(".")[-1]
            )
        elif key.startswith("discounts["):
            field = "discount_reason" if key.endswith("reason") else "discount_amount"
        elif key.startswith("appointment_ids"):
            field = "appointment_ids"
        mapped[field] = (mapped[field] + " " if field in mapped else "") + message
    errors_to_form(form, mapped)
