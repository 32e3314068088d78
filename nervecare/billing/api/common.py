"""What the billing API's modules share: the router, the answer shapes and the period query."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from ninja import Router, Schema

from nervecare.billing import selectors
from nervecare.billing.models import Course, GiftCard, Invoice, Membership
from nervecare.core.api_support import download
from nervecare.core.bounds import HistoryDate
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic

router = Router(tags=["billing"])
_PDF = download("application/pdf")
_CSV = download("text/csv")

# --- shapes ----------------------------------------------------------------------------------------------


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    detail = selectors.invoice_detail(invoice)
    return {
        **invoice_summary(invoice),
        "credits_id": invoice.credits_id,
        "subtotal": invoice.subtotal,
        "discount_total": invoice.discount_total,
        "tax_total": invoice.tax_total,
        "tax_rate": invoice.tax_rate,
        "tax_label": invoice.tax_label,
        "note": invoice.note,
        "void_reason": invoice.void_reason,
        "paid": detail["paid"],
        "credited": detail["credited"],
        "balance": detail["balance"],
        "lines": detail["lines"],
        "payments": detail["payments"],
    }


def invoice_summary(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "display_number": invoice.display_number,
        "kind": invoice.kind,
        "status": invoice.status,
        "client_id": invoice.client_id,
        "currency": invoice.currency,
        "issued_at": invoice.issued_at,
        "total": invoice.total,
    }


def course_out(course: Course) -> dict[str, Any]:
    return {
        "id": course.pk,
        "client_id": course.client_id,
        "service_id": course.service_id,
        "name": course.name,
        "sessions_total": course.sessions_total,
        "sessions_used": course.sessions_used,
        "remaining": course.remaining,
        "price": course.price,
        "currency": course.currency,
        "expires_on": course.expires_on,
        "status": course.status,
        "transferred_from_id": course.transferred_from_id,
        "membership_id": course.membership_id,
        "period_start": course.period_start,
    }


def gift_card_out(card: GiftCard) -> dict[str, Any]:
    return {
        "id": card.pk,
        "code": card.code,
        "client_id": card.client_id,
        "recipient_name": card.recipient_name,
        "amount": card.amount,
        "balance": card.balance,
        "currency": card.currency,
        "expires_on": card.expires_on,
        "status": card.status,
        "invoice_id": card.invoice_id,
        "not_usable_because": selectors.gift_card_usable(card),
    }


def membership_out(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "client_id": membership.client_id,
        "membership_plan_id": membership.plan_id,
        "plan": membership.plan.name,
        "starts_on": membership.starts_on,
        "status": membership.status,
        "ends_on": membership.ends_on,
        "periods": [
            course_out(c)
            for c in sorted(membership.periods.all(), key=lambda c: c.period_start or c.sold_at.date())
        ],
    }


def _payments(items: list[Any]) -> list[dict[str, Any]]:
    return [p.model_dump() for p in items]


class PeriodQuery(Schema):
    start: HistoryDate | None = None
    end: HistoryDate | None = None


def _period(q: PeriodQuery, clinic: Clinic, default_days: int = 365) -> tuple[datetime.date, datetime.date]:
    """The period asked for; without an end, up to the clinic's today (in its time zone)."""
    end = q.end or timezone.localdate(timezone=selectors.clinic_zone(clinic))
    start = q.start or end - datetime.timedelta(days=default_days)
    if start > end:
        raise FieldErrors({"start": "the start is after the end"})
    if (end - start).days > 366 * 3:
        raise FieldErrors({"start": "a period is at most three years"})
    return start, end
