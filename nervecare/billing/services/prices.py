"""Prices and the clinic's money settings (admins)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from nervecare.billing.models import BillingSettings, Price, ProviderIdentifiers
from nervecare.billing.money import round_amount
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import clinic_of, require_billing_admin
from nervecare.core.services import audit_record, model_changes
from nervecare.scheduling.models import Service


@transaction.atomic
def price_set(
    *,
    actor: User,
    service_id: int,
    amount: Decimal,
    therapist_id: int | None = None,
    tax_exempt: bool = False,
    cpt_code: str = "",
) -> Price:
    """Set the clinic's price for a service, or one therapist's own price for it (admins)."""
    require_billing_admin(actor)
    clinic = clinic_of(actor)
    errors: dict[str, str] = {}
    service = Service.objects.filter(pk=service_id, clinic=clinic).first()
    if service is None:
        errors["service_id"] = "choose one of the clinic's services"
    therapist = None
    if therapist_id is not None:
        therapist = Therapist.objects.filter(pk=therapist_id, clinic=clinic).first()
        if therapist is None:
            errors["therapist_id"] = "choose one of the clinic's therapists"
    if amount is None or amount < 0:
        errors["amount"] = "the price cannot be negative"
    elif amount != round_amount(amount, clinic.currency):
        errors["amount"] = f"the price has more decimal places than {clinic.currency} allows"
    if cpt_code not in Price.Cpt.values:
        errors["cpt_code"] = "choose 97124, 97140 or none"
    if errors:
        raise FieldErrors(errors)
    price = Price.objects.filter(service=service, therapist=therapist).first()
    before = (
        {"amount": str(price.amount), "tax_exempt": price.tax_exempt, "cpt_code": price.cpt_code}
        if price
        else {}
    )
    if price is None:
        price = Price(clinic=clinic, service=service, therapist=therapist)
    price.amount, price.currency, price.tax_exempt, price.cpt_code = (
        amount,
        clinic.currency,
        tax_exempt,
        cpt_code,
    )
    price.save()
    after = {"amount": str(amount), "tax_exempt": tax_exempt, "cpt_code": cpt_code}
    audit_record(
        actor=actor,
        action="update" if before else "create",
        obj=price,
        summary=f"Price of {service} set",
        changes=model_changes(before, after),
    )
    return price


SETTINGS_FIELDS = (
    "tax_rate",
    "tax_label",
    "tax_id",
    "npi",
    "late_cancel_fee",
    "no_show_fee",
    "tips_allowed",
    "email_at_checkout",
)


@transaction.atomic
def billing_settings_update(*, actor: User, data: dict[str, Any]) -> BillingSettings:
    """Change the clinic's money settings (admins): tax rate and label, identifiers, fees, tips."""
    require_billing_admin(actor)
    clinic = clinic_of(actor)
    row, _ = BillingSettings.objects.select_for_update().get_or_create(clinic=clinic)
    errors: dict[str, str] = {}
    unknown = set(data) - set(SETTINGS_FIELDS)
    for key in unknown:
        errors[key] = "not a money setting"
    rate = data.get("tax_rate", row.tax_rate)
    if rate is None or not Decimal(0) <= rate <= Decimal(100):
        errors["tax_rate"] = "the tax rate is a percentage between 0 and 100"
    for key in ("late_cancel_fee", "no_show_fee"):
        value = data.get(key, getattr(row, key))
        if value is None or value < 0:
            errors[key] = "a fee cannot be negative"
        elif value != round_amount(value, clinic.currency):
            errors[key] = f"the fee has more decimal places than {clinic.currency} allows"
    npi = data.get("npi", row.npi) or ""
    if npi and not (npi.isdigit() and len(npi) == 10):
        errors["npi"] = "an NPI has 10 digits"
    if errors:
        raise FieldErrors(errors)
    before = {k: str(getattr(row, k)) for k in SETTINGS_FIELDS}
    for key, value in data.items():
        setattr(row, key, value.strip() if isinstance(value, str) else value)
    row.save()
    after = {k: str(getattr(row, k)) for k in SETTINGS_FIELDS}
    audit_record(
        actor=actor,
        action="update",
        obj=row,
        summary="Money settings changed",
        changes=model_changes(before, after),
    )
    return row


@transaction.atomic
def provider_ids_set(
    *, actor: User, therapist_id: int, licence_number: str, licence_state: str = "", npi: str = ""
) -> ProviderIdentifiers:
    """A therapist's licence and NPI for superbills (admins)."""
    require_billing_admin(actor)
    therapist = Therapist.objects.filter(pk=therapist_id, clinic=clinic_of(actor)).first()
    if therapist is None:
        raise FieldErrors({"therapist_id": "choose one of the clinic's therapists"})
    if npi and not (npi.isdigit() and len(npi) == 10):
        raise FieldErrors({"npi": "an NPI has 10 digits"})
    row, _ = ProviderIdentifiers.objects.get_or_create(therapist=therapist)
    row.licence_number, row.licence_state, row.npi = licence_number.strip(), licence_state.strip(), npi
    row.save()
    audit_record(actor=actor, action="update", obj=row, summary=f"Provider identifiers of {therapist}")
    return row
