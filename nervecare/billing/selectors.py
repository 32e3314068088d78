"""Reads of money records, and who may see which (the object rules for billing; index in core/permissions.py).

- Admins and the front desk see every money record of their clinic (never clinical content).
- A therapist sees the courses of the clients whose record they see, and their own takings.
- A client sees their own invoices, receipts, courses, memberships and gift cards (bought, or redeemed by them)
  in the portal.
- Gift cards: the desk and admins of the card's clinic (a card of another clinic is "no such card").
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from nervecare.billing import rules
from nervecare.billing.models import (
    BillingSettings,
    Course,
    Fee,
    GiftCard,
    Invoice,
    InvoiceLine,
    Membership,
    MembershipPlan,
    Payment,
    Price,
    ProviderIdentifiers,
)
from nervecare.clients.models import Client
from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.permissions import (
    clinic_id_of,
    require_billing,
    require_billing_view,
)
from nervecare.scheduling.models import Appointment, Service

ZERO = Decimal("0.00")


def clinic_zone(clinic: Clinic) -> ZoneInfo:
    """The clinic's time zone (dates of service and the day's takings are the clinic's local days)."""
    return ZoneInfo(clinic.timezone or "UTC")


def billing_settings_for(clinic: Clinic) -> BillingSettings:
    """The clinic's money rules; the defaults (no tax, no fees, no tips) for a clinic without a row."""
    found = BillingSettings.objects.filter(clinic=clinic).first()
    return found or BillingSettings(clinic=clinic)


def provider_ids_for(therapist: Therapist) -> ProviderIdentifiers:
    found = ProviderIdentifiers.objects.filter(therapist=therapist).first()
    return found or ProviderIdentifiers(therapist=therapist)


def price_for(service: Service, therapist: Therapist | None) -> Price | None:
    """The therapist's own price for the service if they have one, else the clinic's; None: not priced."""
    prices = {p.therapist_id: p for p in Price.objects.filter(service=service)}
    if therapist is not None and therapist.pk in prices:
        return prices[therapist.pk]
    return prices.get(None)


def prices_for_clinic(clinic_id: int) -> QuerySet[Price]:
    return (
        Price.objects.filter(clinic_id=clinic_id)
        .select_related("service", "therapist")
        .order_by("service__name", "therapist__display_name")
    )


# --- who sees what ---------------------------------------------------------------------------------------


def billing_clients(user: User) -> QuerySet[Client]:
    """The clients whose money the user handles: the desk and admins every client of their clinic."""
    require_billing(user)
    return Client.objects.filter(clinic_id=clinic_id_of(user))


def billing_client_get_for_user(user: User, client_id: int) -> Client:
    client = billing_clients(user).filter(pk=client_id).first()
    if client is None:
        raise Http404("No such client.")
    return client


def invoice_get_for_user(user: User, invoice_id: int) -> Invoice:
    """An invoice of the user's clinic for the desk and admins; 404 for anything else."""
    require_billing(user)
    invoice = (
        Invoice.objects.select_related("client", "clinic", "credits", "issued_by", "voided_by")
        .filter(pk=invoice_id, clinic_id=clinic_id_of(user))
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def invoice_get_for_client(client: Client, invoice_id: int) -> Invoice:
    """One of the client's own invoices (the portal passes the client portal.selectors decided); 404 else."""
    invoice = (
        Invoice.objects.select_related("client", "clinic", "credits")
        .filter(pk=invoice_id, client=client)
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def payment_get_for_user(user: User, payment_id: int) -> Payment:
    require_billing(user)
    payment = (
        Payment.objects.select_related("invoice", "client")
        .filter(pk=payment_id, clinic_id=clinic_id_of(user))
        .first()
    )
    if payment is None:
        raise Http404("No such payment.")
    return payment


def fee_get_for_user(user: User, fee_id: int) -> Fee:
    require_billing(user)
    fee = (
        Fee.objects.select_related("client", "appointment")
        .filter(pk=fee_id, clinic_id=clinic_id_of(user))
        .first()
    )
    if fee is None:
        raise Http404("No such fee.")
    return fee


def courses_visible_to(user: User) -> QuerySet[Course]:
    """Courses: the desk and admins all of the clinic's; a therapist those of clients they see (a client sees
    their own through the portal: `courses_of_client`)."""
    require_billing_view(user)
    qs = Course.objects.filter(clinic_id=clinic_id_of(user))
    if user.role == User.Role.THERAPIST:
        qs = qs.filter(client__in=clients_visible_to(user))
    return qs


def course_get_for_user(user: User, course_id: int) -> Course:
    course = courses_visible_to(user).select_related("client", "service").filter(pk=course_id).first()
    if course is None:
        raise Http404("No such course.")
    return course


def gift_cards_visible_to(user: User) -> QuerySet[GiftCard]:
    """Gift cards of the user's clinic, for the desk and admins (who sell and redeem them)."""
    require_billing(user)
    return GiftCard.objects.filter(clinic_id=clinic_id_of(user)).select_related("client", "invoice")


def gift_card_get_for_user(user: User, gift_card_id: int) -> GiftCard:
    card = gift_cards_visible_to(user).filter(pk=gift_card_id).first()
    if card is None:
        raise Http404("No such gift card.")
    return card


def gift_card_find(user: User, code: str) -> GiftCard | None:
    """The clinic's gift card with this code (as typed: case, spaces and dashes ignored), or None."""
    from nervecare.billing.giftcode import normalise_code

    return gift_cards_visible_to(user).filter(code=normalise_code(code)).first()


def gift_card_usable(card: GiftCard) -> str:
    """Why the card cannot pay now ("" when it can): cancelled, expired, used up, or its sale not paid yet."""
    today = timezone.localdate(timezone=clinic_zone(card.clinic))
    if card.status != GiftCard.Status.ACTIVE:
        return "cancelled"
    if card.expires_on is not None and card.expires_on < today:
        return f"expired on {card.expires_on:%d %B %Y}"
    if card.balance <= 0:
        return "used up"
    if card.invoice is not None and invoice_balance(card.invoice) > 0:
        return f"not paid for yet ({card.invoice.display_number})"
    return ""


def gift_card_payments(card: GiftCard) -> list[Payment]:
    """The card's redemptions and the refunds put back on it, oldest first."""
    return list(card.payments.select_related("invoice").order_by("received_at", "id"))


def gift_cards_of_client(client: Client) -> QuerySet[GiftCard]:
    """The gift cards a client bought or paid with (for the portal and the client's account)."""
    redeemed = Payment.objects.filter(client=client, gift_card__isnull=False).values("gift_card_id")
    return (
        GiftCard.objects.filter(Q(client=client) | Q(pk__in=redeemed))
        .exclude(status=GiftCard.Status.CANCELLED)
        .select_related("invoice", "clinic")
        .distinct()
    )


def memberships_visible_to(user: User) -> QuerySet[Membership]:
    """Memberships of the user's clinic, for the desk and admins."""
    require_billing(user)
    return Membership.objects.filter(clinic_id=clinic_id_of(user)).select_related("plan", "client")


def membership_get_for_user(user: User, membership_id: int) -> Membership:
    found = memberships_visible_to(user).filter(pk=membership_id).first()
    if found is None:
        raise Http404("No such membership.")
    return found


def membership_plans_for_clinic(user: User) -> QuerySet[MembershipPlan]:
    require_billing(user)
    return MembershipPlan.objects.filter(clinic_id=clinic_id_of(user)).select_related("service")


def membership_plan_get_for_user(user: User, plan_id: int) -> MembershipPlan:
    found = membership_plans_for_clinic(user).filter(pk=plan_id).first()
    if found is None:
        raise Http404("No such membership plan.")
    return found


def memberships_of_client(client: Client) -> list[Membership]:
    """The client's memberships with their months (courses), for the account page, the API and the portal."""
    found = list(
        Membership.objects.filter(client=client)
        .select_related("plan__service")
        .prefetch_related("periods")
        .order_by("-starts_on")
    )
    return found


def checkout_visit_get_for_user(user: User, appointment_id: int) -> Appointment:
    """A visit of the user's clinic to check out (the desk and admins); 404 for anything else."""
    require_billing(user)
    found = (
        Appointment.objects.select_related("client")
        .filter(pk=appointment_id, clinic_id=clinic_id_of(user))
        .first()
    )
    if found is None:
        raise Http404("No such visit.")
    return found


def invoice_of_visit(appointment: Appointment) -> Invoice | None:
    """The issued invoice a visit is on (not counting a fee for it), or None."""
    line = (
        InvoiceLine.objects.filter(appointment=appointment, invoice__status=Invoice.Status.ISSUED)
        .exclude(kind=InvoiceLine.Kind.FEE)
        .select_related("invoice")
        .first()
    )
    return line.invoice if line else None


# --- amounts ---------------------------------------------------------------------------------------------


def invoice_paid(invoice: Invoice) -> Decimal:
    """Net money received for the invoice (payments minus refunds), succeeded ones only."""
    total = ZERO
    for p in invoice.payments.filter(status=Payment.Status.SUCCEEDED):
        total += p.signed_amount
    return _cents(total)


def invoice_credited(invoice: Invoice) -> Decimal:
    """What credit notes against the invoice took off (a positive amount)."""
    value = invoice.credit_notes.filter(status=Invoice.Status.ISSUED).aggregate(s=Sum("total"))["s"]
    return _cents(-(value or ZERO))


def invoice_balance(invoice: Invoice) -> Decimal:
    """What the client still owes on this invoice (negative: overpaid); nothing on a void one."""
    if invoice.status == Invoice.Status.VOID or invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return ZERO
    return invoice.total - invoice_credited(invoice) - invoice_paid(invoice)


def client_balance(client: Client) -> Decimal:
    """What the client owes the clinic over every issued invoice and credit note, less every payment and
    refund (negative: the clinic owes the client)."""
    issued = Invoice.objects.filter(client=client, status=Invoice.Status.ISSUED)
    billed = issued.aggregate(s=Sum("total"))["s"] or ZERO
    paid_in = Payment.objects.filter(
        client=client, status=Payment.Status.SUCCEEDED, invoice__status=Invoice.Status.ISSUED
    )
    received = paid_in.filter(kind=Payment.Kind.PAYMENT).aggregate(s=Sum("amount"))["s"] or ZERO
    refunded = paid_in.filter(kind=Payment.Kind.REFUND).aggregate(s=Sum("amount"))["s"] or ZERO
    return _cents(billed - received + refunded)


def _cents(value: Decimal) -> Decimal:
    """Sums from the database as stored amounts: two decimal places (SQLite's SUM loses the scale)."""
    return value.quantize(Decimal("0.01"))


def invoice_detail(invoice: Invoice) -> dict[str, Any]:
    """Everything an invoice page, PDF or API answer shows."""
    lines = list(invoice.lines.select_related("therapist", "service", "appointment"))
    payments = list(invoice.payments.select_related("refund_of").order_by("received_at", "id"))
    credit_notes = list(invoice.credit_notes.order_by("number"))
    return {
        "invoice": invoice,
        "lines": lines,
        "payments": payments,
        "credit_notes": credit_notes,
        "paid": invoice_paid(invoice),
        "credited": invoice_credited(invoice),
        "balance": invoice_balance(invoice),
    }


def client_account(client: Client) -> dict[str, Any]:
    """A client's money at a glance: balance, invoices, payments, courses and fees to invoice."""
    return {
        "client": client,
        "balance": client_balance(client),
        "invoices": list(Invoice.objects.filter(client=client).order_by("-number")[:100]),
        "payments": list(Payment.objects.filter(client=client).select_related("invoice")[:100]),
        "courses": list(Course.objects.filter(client=client).select_related("service")),
        "gift_cards": list(GiftCard.objects.filter(client=client).select_related("invoice")),
        "memberships": memberships_of_client(client),
        "fees": list(Fee.objects.filter(client=client).select_related("appointment").order_by("-created_at")),
    }


def active_courses(client: Client) -> list[Course]:
    today = timezone.localdate(timezone=clinic_zone(client.clinic))
    return [
        c
        for c in Course.objects.filter(client=client, status=Course.Status.ACTIVE).select_related("service")
        if c.remaining > 0 and (c.expires_on is None or c.expires_on >= today)
    ]


def record_card_billing(user: User, client: Client) -> dict[str, Any]:
    """The record page's card: the courses left (therapists and admins see the chart; the desk has the
    billing pages). Money amounts are shown to admins only."""
    courses = list(
        Course.objects.filter(client=client).exclude(status=Course.Status.CANCELLED).select_related("service")
    )
    return {
        "billing_courses": courses,
        "billing_balance": client_balance(client) if user.role == User.Role.ADMIN else None,
    }


def invoices_of_client(client: Client) -> QuerySet[Invoice]:
    """The client's own invoices and credit notes (for the portal, which decided who the client is)."""
    return Invoice.objects.filter(client=client).order_by("-number")


def courses_of_client(client: Client) -> QuerySet[Course]:
    return (
        Course.objects.filter(client=client).exclude(status=Course.Status.CANCELLED).select_related("service")
    )


def pending_fees(client: Client) -> QuerySet[Fee]:
    return Fee.objects.filter(client=client, status=Fee.Status.PENDING).select_related("appointment")


def invoices_for_clinic(user: User, *, search: str = "", status: str = "") -> QuerySet[Invoice]:
    require_billing(user)
    qs = Invoice.objects.filter(clinic_id=clinic_id_of(user)).select_related("client")
    if search:
        term = search.strip()
        q = Q(client__last_name__icontains=term) | Q(client__first_name__icontains=term)
        if term.isdigit():
            q |= Q(number=int(term))
        qs = qs.filter(q)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-number")


def superbill_data(client: Client, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """What a superbill shows for a client's visits from `start` to `end` (inclusive): providers with their
    licence and NPI, the client, diagnoses (ICD-10-CM from the client's coded conditions), each service with
    its CPT code and 15-minute units (8-minute rule), its charge, and what was paid for it (each invoice's
    payments applied to its lines in order)."""
    lines = list(
        InvoiceLine.objects.filter(
            invoice__client=client,
            invoice__status=Invoice.Status.ISSUED,
            invoice__kind=Invoice.Kind.INVOICE,
            kind=InvoiceLine.Kind.SERVICE,
            service_date__gte=start,
            service_date__lte=end,
        )
        .select_related("invoice", "therapist")
        .order_by("service_date", "invoice__number", "position")
    )
    paid_by_line: dict[int, Decimal] = {}
    for invoice in {line.invoice for line in lines}:
        covered = invoice_paid(invoice) + invoice_credited(invoice)
        for line in invoice.lines.order_by("position"):
            share = min(max(covered, ZERO), line.total)
            paid_by_line[line.pk] = share
            covered -= share
    therapists = {line.therapist_id: line.therapist for line in lines if line.therapist is not None}
    providers = []
    for therapist in therapists.values():
        assert therapist is not None
        ids = provider_ids_for(therapist)
        licence = " ".join(x for x in (ids.licence_number, ids.licence_state) if x)
        providers.append({"name": therapist.display_name, "licence": licence, "npi": ids.npi})
    diagnoses: list[tuple[str, str]] = []
    for condition in client.conditions.all():
        coded = rules.icd10cm_for(condition.diagnosis_code) if condition.diagnosis_code else None
        if coded and coded not in diagnoses:
            diagnoses.append(coded)
    services = [
        {
            "date": line.service_date,
            "cpt": line.cpt_code,
            "minutes": line.minutes,
            "units": line.units,
            "description": line.description,
            "provider": line.therapist.display_name if line.therapist else "",
            "charge": line.total,
            "paid": paid_by_line.get(line.pk, ZERO),
            "invoice": line.invoice.display_number,
        }
        for line in lines
    ]
    return {
        "clinic": client.clinic,
        "settings": billing_settings_for(client.clinic),
        "client": client,
        "currency": lines[0].invoice.currency if lines else client.clinic.currency,
        "period": (start, end),
        "providers": providers,
        "diagnoses": diagnoses,
        "services": services,
        "total_charges": sum((line.total for line in lines), ZERO),
        "total_paid": sum((paid_by_line.get(line.pk, ZERO) for line in lines), ZERO),
        "units_source": rules.units_source(),
    }


def unbilled_visits(client: Client) -> list[Any]:
    """The client's checked-in or completed visits not on an issued invoice yet (newest first), each with a
    label in the clinic's time for the check-out form."""
    zone = clinic_zone(client.clinic)
    billed = (
        InvoiceLine.objects.filter(invoice__status=Invoice.Status.ISSUED, appointment__client=client)
        .exclude(kind=InvoiceLine.Kind.FEE)
        .values("appointment_id")
    )
    visits = list(
        Appointment.objects.filter(
            client=client, status__in=(Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED)
        )
        .exclude(pk__in=billed)
        .select_related("service", "therapist")
        .order_by("-starts_at")[:50]
    )
    for v in visits:
        label = f"{v.starts_at.astimezone(zone):%a %d %b %Y %H:%M} · {v.service.name} · {v.therapist.display_name}"
        setattr(v, "label", label)  # noqa: B010 - a display attribute for the form, not a model field
    return visits


def check_out_link(user: User, appointment: Appointment) -> tuple[str, str] | None:
    """The desk's way from a checked-out visit to its bill (scheduling/hooks.py): the client's check-out page
    with this visit chosen, for those who handle money."""
    if user.role not in (User.Role.ADMIN, User.Role.FRONT_DESK) or user.clinic_id != appointment.clinic_id:
        return None
    url = reverse("billing:client", args=[appointment.client_id])
    return ("Take payment", f"{url}?{urlencode({'visit': appointment.pk})}#h-checkout")
