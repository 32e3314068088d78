"""Courses of N sessions sold up front: the sale (an invoice with the course on it, paid now or later), the
transfer to another client of the clinic, and expiry. Sessions are drawn at check-out (invoices.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from nervecare.billing.models import Course, Invoice, InvoiceLine
from nervecare.billing.money import ZERO, round_amount
from nervecare.billing.selectors import clinic_zone, price_for
from nervecare.billing.services.invoices import LineDraft, issue
from nervecare.billing.services.payments import payment_record_locked
from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_billing
from nervecare.core.services import audit_record
from nervecare.scheduling.models import Service


@transaction.atomic
def course_sell(
    *,
    actor: User,
    client: Client,
    service_id: int,
    sessions: int,
    price: Decimal,
    expires_on: datetime.date | None = None,
    name: str = "",
    payments: list[dict[str, object]] | None = None,
) -> tuple[Course, Invoice]:
    """Sell a course of `sessions` sessions of a service at `price` (before tax; taxed like the service):
    the course and its invoice, and the payments taken now. The desk and admins."""
    require_billing(actor)
    errors: dict[str, str] = {}
    service = Service.objects.filter(pk=service_id, clinic_id=client.clinic_id, active=True).first()
    if service is None:
        errors["service_id"] = "choose one of the clinic's services"
    if not 1 <= sessions <= 104:
        errors["sessions"] = "a course has between 1 and 104 sessions"
    currency = client.clinic.currency
    if price is None or price < 0:
        errors["price"] = "the price cannot be negative"
    elif price != round_amount(price, currency):
        errors["price"] = f"the price has more decimal places than {currency} allows"
    today = timezone.localdate(timezone=clinic_zone(client.clinic))
    if expires_on is not None and expires_on <= today:
        errors["expires_on"] = "the expiry date must be after today"
    if errors:
        raise FieldErrors(errors)
    assert service is not None
    listed = price_for(service, None)
    label = name.strip() or f"Course of {sessions} × {service.name}"
    course = Course.objects.create(
        clinic_id=client.clinic_id,
        client=client,
        service=service,
        name=label[:120],
        sessions_total=sessions,
        price=price,
        currency=currency,
        expires_on=expires_on,
        sold_at=timezone.now(),
        sold_by=actor,
    )
    invoice = issue(
        actor=actor,
        client=client,
        drafts=[
            LineDraft(
                kind=InvoiceLine.Kind.COURSE,
                description=label + (f", valid until {expires_on:%d %B %Y}" if expires_on else ""),
                unit_price=price,
                taxable=not (listed.tax_exempt if listed else False),
                service=service,
                course=course,
            )
        ],
    )
    audit_record(actor=actor, action="create", obj=course, summary=f"Sold: {label} for {price} {currency}")
    for i, p in enumerate(payments or []):
        try:
            payment_record_locked(actor=actor, invoice=invoice, **p)  # type: ignore[arg-type]
        except FieldErrors as exc:
            raise FieldErrors({f"payments[{i}].{k}": v for k, v in exc.errors.items()}) from exc
    return course, invoice


@transaction.atomic
def course_transfer(*, actor: User, course: Course, to_client: Client, reason: str) -> Course:
    """Give the sessions left on a course to another client of the clinic (a partner, a relative), with a
    reason. The course's sale stays on the first client's invoice."""
    require_billing(actor)
    course = Course.objects.select_for_update().get(pk=course.pk)
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "say why the course is transferred"
    if to_client.clinic_id != course.clinic_id or to_client.pk == course.client_id:
        errors["client_id"] = "choose another client of the clinic"
    if course.status != Course.Status.ACTIVE or course.remaining == 0:
        errors["course"] = "only an active course with sessions left can be transferred"
    if errors:
        raise FieldErrors(errors)
    before = course.client_id
    course.transferred_from_id = before
    course.client = to_client
    course.save(update_fields=["client", "transferred_from"])
    audit_record(
        actor=actor,
        action="update",
        obj=course,
        summary=f"Transferred ({course.remaining} sessions left): {reason.strip()[:200]}",
        changes={"client_id": [before, to_client.pk]},
    )
    return course


__all__ = ["ZERO", "course_sell", "course_transfer"]
