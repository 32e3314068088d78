"""The books: end-of-day takings by payment method, outstanding balances by age, revenue by therapist, service
and month, course liabilities, and the CSV journal an accounting package imports.

Revenue is recognised when a session (or a fee, a tip) is invoiced; a course sold up front is a liability
until its sessions are given (each session checked out against it is revenue at its share of the price); a
gift card sold is a liability until it pays for something (its balance is what the clinic still owes).
Amounts are net of tax unless a column says gross. Void invoices count nowhere; credit notes count negative.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from nervecare.billing.models import Course, GiftCard, Invoice, InvoiceLine, Payment
from nervecare.billing.money import ZERO, split_evenly
from nervecare.billing.selectors import clinic_zone, invoice_balance
from nervecare.core.formatting import spreadsheet_text
from nervecare.core.models import Clinic

REVENUE_KINDS = (InvoiceLine.Kind.SERVICE, InvoiceLine.Kind.FEE, InvoiceLine.Kind.CREDIT)


def _day_bounds(
    clinic: Clinic, start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    zone = clinic_zone(clinic)
    low = datetime.datetime.combine(start, datetime.time(0), tzinfo=zone)
    high = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone)
    return low, high


# Paid for earlier (the course or the gift card was sold, and its money taken, then): not the day's takings.
PREPAID = (Payment.Method.COURSE, Payment.Method.GIFT_CARD)


def day_takings(clinic: Clinic, day: datetime.date) -> dict[str, Any]:
    """Money received and refunded on one local day, by method. Course sessions drawn and gift cards
    redeemed are listed apart: their money came in when the course or the card was sold."""
    low, high = _day_bounds(clinic, day, day)
    rows: dict[str, dict[str, Any]] = {}
    for p in Payment.objects.filter(
        clinic=clinic, status=Payment.Status.SUCCEEDED, received_at__gte=low, received_at__lt=high
    ).order_by("received_at", "id"):
        row = rows.setdefault(
            p.method,
            {
                "method": p.method,
                "label": p.get_method_display(),
                "received": ZERO,
                "refunded": ZERO,
                "count": 0,
            },
        )
        if p.kind == Payment.Kind.REFUND:
            row["refunded"] += p.amount
        else:
            row["received"] += p.amount
        row["count"] += 1
    for row in rows.values():
        row["net"] = row["received"] - row["refunded"]
    money = [r for m, r in sorted(rows.items()) if m not in PREPAID]
    return {
        "day": day,
        "currency": clinic.currency,
        "methods": money,
        "course_sessions": rows.get(Payment.Method.COURSE),
        "gift_cards_redeemed": rows.get(Payment.Method.GIFT_CARD),
        "received": sum((r["received"] for r in money), ZERO),
        "refunded": sum((r["refunded"] for r in money), ZERO),
        "net": sum((r["net"] for r in money), ZERO),
    }


AGE_BUCKETS = (
    ("days_0_30", 0, 30),
    ("days_31_60", 31, 60),
    ("days_61_90", 61, 90),
    ("days_over_90", 91, 10**6),
)


def aging(clinic: Clinic, today: datetime.date) -> dict[str, Any]:
    """What clients owe, by the age of each invoice (days since issue) — one row per client."""
    zone = clinic_zone(clinic)
    by_client: dict[int, dict[str, Any]] = {}
    for inv in Invoice.objects.filter(
        clinic=clinic, status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE
    ).select_related("client"):
        due = invoice_balance(inv)
        if due <= 0:
            continue
        age = (today - inv.issued_at.astimezone(zone).date()).days
        bucket = next(name for name, low, high in AGE_BUCKETS if low <= age <= high)
        row = by_client.setdefault(
            inv.client_id,
            {
                "client_id": inv.client_id,
                "client": f"{inv.client.first_name} {inv.client.last_name}",
                **{name: ZERO for name, _l, _h in AGE_BUCKETS},
                "total": ZERO,
            },
        )
        row[bucket] += due
        row["total"] += due
    rows = sorted(by_client.values(), key=lambda r: -r["total"])
    totals = {name: sum((r[name] for r in rows), ZERO) for name, _l, _h in AGE_BUCKETS}
    return {
        "currency": clinic.currency,
        "rows": rows,
        "totals": totals,
        "total": sum(totals.values(), ZERO),
        "buckets": [b[0] for b in AGE_BUCKETS],
    }


def _revenue_lines(
    clinic: Clinic, start: datetime.date, end: datetime.date, therapist_id: int | None = None
) -> Any:
    low, high = _day_bounds(clinic, start, end)
    qs = InvoiceLine.objects.filter(
        invoice__clinic=clinic,
        invoice__status=Invoice.Status.ISSUED,
        invoice__issued_at__gte=low,
        invoice__issued_at__lt=high,
    ).select_related("invoice", "therapist", "service")
    if therapist_id is not None:
        qs = qs.filter(therapist_id=therapist_id)
    return qs


def revenue(
    clinic: Clinic, start: datetime.date, end: datetime.date, *, therapist_id: int | None = None
) -> dict[str, Any]:
    """Revenue (net of tax) by therapist, by service and by month, with tips and course sales beside it."""
    zone = clinic_zone(clinic)
    by_therapist: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_service: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    tips: dict[str, Decimal] = defaultdict(lambda: ZERO)
    course_sales = gift_card_sales = tax = total = ZERO
    for line in _revenue_lines(clinic, start, end, therapist_id):
        net = line.total - line.tax
        tax += line.tax
        if line.kind == InvoiceLine.Kind.COURSE:
            course_sales += net
            continue
        if line.kind == InvoiceLine.Kind.GIFT_CARD:
            gift_card_sales += net
            continue
        who = line.therapist.display_name if line.therapist else "—"
        if line.kind == InvoiceLine.Kind.TIP:
            tips[who] += net
            continue
        what = line.service.name if line.service else line.get_kind_display()
        by_therapist[who] += net
        by_service[what] += net
        by_month[f"{line.invoice.issued_at.astimezone(zone):%Y-%m}"] += net
        total += net
    return {
        "currency": clinic.currency,
        "start": start,
        "end": end,
        "total": total,
        "by_therapist": dict(sorted(by_therapist.items())),
        "by_service": dict(sorted(by_service.items())),
        "by_month": dict(sorted(by_month.items())),
        "tips": dict(sorted(tips.items())),
        "course_sales": course_sales,
        "gift_card_sales": gift_card_sales,
        "tax": tax,
    }


def course_liabilities(clinic: Clinic) -> dict[str, Any]:
    """Sessions sold but not yet given: per course, the sessions left and their value (the course's price
    spread over its sessions, as they are drawn)."""
    rows: list[dict[str, Any]] = []
    for course in (
        Course.objects.filter(clinic=clinic)
        .exclude(status=Course.Status.CANCELLED)
        .select_related("client", "service")
    ):
        if course.remaining <= 0:
            continue
        shares = split_evenly(course.price, course.sessions_total, course.currency)
        value = sum(shares[course.sessions_used :], ZERO)
        rows.append(
            {
                "course_id": course.pk,
                "client": f"{course.client.first_name} {course.client.last_name}",
                "name": course.name,
                "status": course.status,
                "sessions_left": course.remaining,
                "value": value,
                "expires_on": course.expires_on,
            }
        )
    return {
        "currency": clinic.currency,
        "rows": rows,
        "sessions": sum(r["sessions_left"] for r in rows),
        "value": sum((r["value"] for r in rows), ZERO),
    }


def gift_card_liabilities(clinic: Clinic) -> dict[str, Any]:
    """What the clinic owes on gift cards: each card not cancelled with a balance left (expired ones too, said
    so: whether an expired card's balance may be kept is the local law's question, not the software's)."""
    rows = [
        {
            "gift_card_id": card.pk,
            "code_last4": card.last4,
            "client": f"{card.client.first_name} {card.client.last_name}",
            "amount": card.amount,
            "balance": card.balance,
            "expires_on": card.expires_on,
        }
        for card in GiftCard.objects.filter(clinic=clinic, status=GiftCard.Status.ACTIVE, balance__gt=0)
        .select_related("client")
        .order_by("sold_at", "id")
    ]
    return {
        "currency": clinic.currency,
        "rows": rows,
        "cards": len(rows),
        "value": sum((r["balance"] for r in rows), ZERO),
    }


# The journal's columns (README "The books"): one row per invoice line and per payment or refund.
JOURNAL_COLUMNS = [
    "date",  # local date of the document (YYYY-MM-DD)
    "document",  # INV-000001, CN-000002, or PAY-17 / REF-18
    "type",  # sale | credit | payment | refund
    "client_id",
    "client",
    "description",
    # revenue:session, revenue:fee, tips, course_liability, gift_card_liability, credit, or for payments and
    # refunds the payment method (cash, card, bank_transfer, course) — gift_card_liability for a gift card's
    "account",
    "net",  # amount before tax (sales) or the amount paid (payments); refunds and credits negative
    "tax",
    "gross",
    "currency",
    "therapist",
    "status",  # issued | void (void documents are listed with zero amounts, so the numbers have no gap)
]

ACCOUNTS: dict[str, str] = {
    InvoiceLine.Kind.SERVICE: "revenue:session",
    InvoiceLine.Kind.FEE: "revenue:fee",
    InvoiceLine.Kind.TIP: "tips",
    InvoiceLine.Kind.COURSE: "course_liability",
    InvoiceLine.Kind.CREDIT: "credit",
    InvoiceLine.Kind.GIFT_CARD: "gift_card_liability",
}
# A payment's account is its method, except that a gift card pays out of the clinic's gift-card liability.
PAYMENT_ACCOUNTS: dict[str, str] = {Payment.Method.GIFT_CARD: "gift_card_liability"}


def journal_rows(clinic: Clinic, start: datetime.date, end: datetime.date) -> list[dict[str, Any]]:
    zone = clinic_zone(clinic)
    low, high = _day_bounds(clinic, start, end)
    rows: list[dict[str, Any]] = []
    lines = (
        InvoiceLine.objects.filter(
            invoice__clinic=clinic, invoice__issued_at__gte=low, invoice__issued_at__lt=high
        )
        .select_related("invoice__client", "therapist")
        .order_by("invoice__number", "position")
    )
    for line in lines:
        inv = line.invoice
        void = inv.status == Invoice.Status.VOID
        net, tax = (ZERO, ZERO) if void else (line.total - line.tax, line.tax)
        rows.append(
            {
                "date": inv.issued_at.astimezone(zone).date().isoformat(),
                "document": inv.display_number,
                "type": "credit" if inv.kind == Invoice.Kind.CREDIT_NOTE else "sale",
                "client_id": inv.client_id,
                "client": f"{inv.client.first_name} {inv.client.last_name}",
                "description": line.description,
                "account": ACCOUNTS.get(line.kind, line.kind),
                "net": net,
                "tax": tax,
                "gross": net + tax,
                "currency": inv.currency,
                "therapist": line.therapist.display_name if line.therapist else "",
                "status": inv.status,
            }
        )
    payments = (
        Payment.objects.filter(
            clinic=clinic, status=Payment.Status.SUCCEEDED, received_at__gte=low, received_at__lt=high
        )
        .select_related("invoice", "client")
        .order_by("received_at", "id")
    )
    for p in payments:
        refund = p.kind == Payment.Kind.REFUND
        amount = -p.amount if refund else p.amount
        rows.append(
            {
                "date": p.received_at.astimezone(zone).date().isoformat(),
                "document": f"{'REF' if refund else 'PAY'}-{p.pk}",
                "type": "refund" if refund else "payment",
                "client_id": p.client_id,
                "client": f"{p.client.first_name} {p.client.last_name}",
                "description": f"{p.get_method_display()} on {p.invoice.display_number}"
                + (f": {p.reason}" if p.reason else ""),
                "account": PAYMENT_ACCOUNTS.get(p.method, p.method),
                "net": amount,
                "tax": ZERO,
                "gross": amount,
                "currency": p.currency,
                "therapist": "",
                "status": p.status,
            }
        )
    return rows


def journal_csv(clinic: Clinic, start: datetime.date, end: datetime.date) -> str:
    """The journal as CSV (UTF-8, comma-separated, a header row, amounts with a dot and two decimals)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=JOURNAL_COLUMNS)
    writer.writeheader()
    for row in journal_rows(clinic, start, end):
        # Amounts are numbers (a refund's "-90.00" stays a number); text (a client's name, a reason typed at the
        # desk) never runs as a formula in the accountant's spreadsheet.
        writer.writerow(
            {
                k: f"{v:.2f}" if isinstance(v, Decimal) else spreadsheet_text(v) if isinstance(v, str) else v
                for k, v in row.items()
            }
        )
    return out.getvalue()
