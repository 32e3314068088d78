"""Memberships: a monthly fee for N sessions of a service. Each month of a membership is sold as a course (its
sessions, its invoice, expiring at the month's end), so check-out draws membership sessions exactly as course
sessions and the books count unused ones as course liabilities. The monthly invoices are issued by
`membership_invoices_due` (the job queue daily, or `nervecare billing_memberships`): idempotent, one course per
membership and month (a unique constraint backs it), months missed while the job was down are caught up.

Rollover: a plan that rolls over keeps a month's unused sessions usable to the end of the next month (one
month only; they were paid in their own month, so nothing is re-priced)."""

from __future__ import annotations

import calendar
import datetime
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from nervecare.billing.models import Course, Invoice, InvoiceLine, Membership, MembershipPlan
from nervecare.billing.money import round_amount
from nervecare.billing.selectors import clinic_zone, price_for
from nervecare.billing.services.invoices import LineDraft, issue
from nervecare.billing.services.payments import payment_record_locked
from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import clinic_of, require_billing, require_billing_admin
from nervecare.core.services import audit_record
from nervecare.scheduling.models import Service

log = logging.getLogger(__name__)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the 31st of a shorter month is its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_of(membership: Membership, k: int) -> tuple[datetime.date, datetime.date]:
    """The k-th month of a membership (0 the first): its first and last day."""
    start = add_months(membership.starts_on, k)
    return start, add_months(membership.starts_on, k + 1) - datetime.timedelta(days=1)


@transaction.atomic
def membership_plan_save(
    *,
    actor: User,
    name: str,
    service_id: int,
    price: Decimal,
    sessions_per_period: int,
    rollover: bool = False,
    active: bool = True,
    plan: MembershipPlan | None = None,
) -> MembershipPlan:
    """Create (or change) a membership plan: a monthly price for N sessions of a service (admins). A change
    applies from the next month invoiced; months already invoiced keep their price and sessions."""
    require_billing_admin(actor)
    clinic = clinic_of(actor)
    errors: dict[str, str] = {}
    service = Service.objects.filter(pk=service_id, clinic=clinic, active=True).first()
    if service is None:
        errors["service_id"] = "choose one of the clinic's services"
    if not (name or "").strip():
        errors["name"] = "give the plan a name"
    elif (
        MembershipPlan.objects.filter(clinic=clinic, name=name.strip())
        .exclude(pk=plan.pk if plan else 0)
        .exists()
    ):
        errors["name"] = "another plan has this name"
    if price is None or price < 0:
        errors["price"] = "the price cannot be negative"
    elif price != round_amount(price, clinic.currency):
        errors["price"] = f"the price has more decimal places than {clinic.currency} allows"
    if not 1 <= sessions_per_period <= 31:
        errors["sessions_per_period"] = "a month has between 1 and 31 sessions"
    if errors:
        raise FieldErrors(errors)
    assert service is not None
    creating = plan is None
    plan = plan or MembershipPlan(clinic=clinic)
    plan.name, plan.service, plan.price, plan.currency = name.strip()[:120], service, price, clinic.currency
    plan.sessions_per_period, plan.rollover, plan.active = sessions_per_period, rollover, active
    plan.save()
    audit_record(
        actor=actor,
        action="create" if creating else "update",
        obj=plan,
        summary=f"Membership plan {plan.name}: {price} {clinic.currency} a month for {sessions_per_period} sessions",
    )
    return plan


def _issue_period(*, actor: User, membership: Membership, k: int) -> Invoice:
    """Invoice month k of the membership: a course of the plan's sessions expiring at the month's end (inside
    the caller's transaction; the unique constraint refuses a second one)."""
    plan = membership.plan
    start, end = period_of(membership, k)
    label = (
        f"{plan.name}: {plan.sessions_per_period} × {plan.service.name}, {start:%d %b %Y} – {end:%d %b %Y}"
    )
    course = Course.objects.create(
        clinic_id=membership.clinic_id,
        client_id=membership.client_id,
        service=plan.service,
        name=label[:120],
        sessions_total=plan.sessions_per_period,
        price=plan.price,
        currency=plan.currency,
        expires_on=end,
        sold_at=timezone.now(),
        sold_by=actor,
        membership=membership,
        period_start=start,
    )
    listed = price_for(plan.service, None)
    invoice = issue(
        actor=actor,
        client=membership.client,
        note="Membership: monthly invoice",
        drafts=[
            LineDraft(
                kind=InvoiceLine.Kind.COURSE,
                description=label,
                unit_price=plan.price,
                taxable=not (listed.tax_exempt if listed else False),
                service=plan.service,
                course=course,
            )
        ],
    )
    audit_record(actor=actor, action="create", obj=course, summary=f"Membership month invoiced: {label}")
    if plan.rollover and k > 0:
        previous = (
            Course.objects.select_for_update()
            .filter(membership=membership, period_start=period_of(membership, k - 1)[0])
            .first()
        )
        if previous is not None and previous.status == Course.Status.ACTIVE and previous.remaining > 0:
            previous.expires_on = end
            previous.save(update_fields=["expires_on"])
            audit_record(
                actor=actor,
                action="update",
                obj=previous,
                summary=f"{previous.remaining} unused session(s) roll over to {end:%d %b %Y}",
            )
    return invoice


@transaction.atomic
def membership_start(
    *,
    actor: User,
    client: Client,
    membership_plan_id: int,
    starts_on: datetime.date | None = None,
    payments: list[dict[str, object]] | None = None,
) -> tuple[Membership, Invoice | None]:
    """Sign a client up to a plan (the desk and admins): the membership and, when its first month has begun,
    that month's invoice with the payments taken now."""
    require_billing(actor)
    today = timezone.localdate(timezone=clinic_zone(client.clinic))
    errors: dict[str, str] = {}
    plan = MembershipPlan.objects.filter(
        pk=membership_plan_id, clinic_id=client.clinic_id, active=True
    ).first()
    if plan is None:
        errors["membership_plan_id"] = "choose one of the clinic's membership plans"
    starts_on = starts_on or today
    if not today - datetime.timedelta(days=31) <= starts_on <= today + datetime.timedelta(days=366):
        errors["starts_on"] = "the first month starts within a month before today and a year after it"
    if (
        plan is not None
        and Membership.objects.filter(client=client, plan=plan, status=Membership.Status.ACTIVE).exists()
    ):
        errors["membership_plan_id"] = "the client is already a member on this plan"
    if errors:
        raise FieldErrors(errors)
    assert plan is not None
    membership = Membership.objects.create(
        clinic_id=client.clinic_id,
        client=client,
        plan=plan,
        starts_on=starts_on,
        created_at=timezone.now(),
        created_by=actor,
    )
    audit_record(
        actor=actor, action="create", obj=membership, summary=f"Member from {starts_on}: {plan.name}"
    )
    invoice = None
    if starts_on <= today:
        invoice = _issue_period(actor=actor, membership=membership, k=0)
        for i, p in enumerate(payments or []):
            try:
                payment_record_locked(actor=actor, invoice=invoice, **p)  # type: ignore[arg-type]
            except FieldErrors as exc:
                raise FieldErrors({f"payments[{i}].{k}": v for k, v in exc.errors.items()}) from exc
    elif payments:
        raise FieldErrors({"payments": "the first month has not begun: it is invoiced on its first day"})
    return membership, invoice


@transaction.atomic
def membership_cancel(*, actor: User, membership: Membership, reason: str) -> Membership:
    """End a membership (the desk and admins): no month after the current one is invoiced; the sessions of the
    months paid stay usable to their end. A refund, if any, is an admin's, on the month's invoice."""
    require_billing(actor)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not (reason or "").strip():
        raise FieldErrors({"reason": "say why the membership ends"})
    if membership.status != Membership.Status.ACTIVE:
        raise FieldErrors({"status": "this membership has ended already"})
    today = timezone.localdate(timezone=clinic_zone(membership.clinic))
    if membership.starts_on > today:
        ends_on = membership.starts_on - datetime.timedelta(days=1)  # not begun: no month is ever invoiced
    else:
        k = 0
        while period_of(membership, k + 1)[0] <= today:
            k += 1
        ends_on = period_of(membership, k)[1]
    membership.status = Membership.Status.CANCELLED
    membership.ends_on = ends_on
    membership.save(update_fields=["status", "ends_on"])
    audit_record(actor=actor, action="update", obj=membership, summary=f"Cancelled: {reason.strip()[:200]}")
    return membership


def membership_invoices_due(*, today: datetime.date | None = None) -> int:
    """Invoice every month that has begun and is not invoiced yet, for every active (or ended, up to its end)
    membership; each month in its own transaction. Running it twice issues nothing more. The invoices are
    issued in the name of whoever signed the client up (the audit trail says it was the monthly run)."""
    issued = 0
    for membership in Membership.objects.select_related("plan__service", "client__clinic", "created_by"):
        local_today = today or timezone.localdate(timezone=clinic_zone(membership.client.clinic))
        done = set(Course.objects.filter(membership=membership).values_list("period_start", flat=True))
        k = 0
        while True:
            start, _end = period_of(membership, k)
            if start > local_today or (membership.ends_on is not None and start > membership.ends_on):
                break
            if start not in done:
                try:
                    with transaction.atomic():
                        _issue_period(actor=membership.created_by, membership=membership, k=k)
                    issued += 1
                except IntegrityError:  # another run issued this month a moment ago
                    log.info("membership %s month %s invoiced by another run", membership.pk, start)
            k += 1
    return issued
