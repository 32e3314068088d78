"""The books: end-of-day takings, balances by age, revenue, liabilities and the CSV journal."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from ninja import Query, Schema

from nervecare.billing import reports, selectors
from nervecare.billing.api.common import (
    _CSV,
    PeriodQuery,
    _period,
    router,
)
from nervecare.billing.schemas import (
    AgingOut,
    DayTakingsOut,
    LiabilitiesOut,
    RevenueOut,
)
from nervecare.core.api_support import error_responses
from nervecare.core.bounds import HistoryDate
from nervecare.core.pages import csv_download
from nervecare.core.permissions import (
    clinic_of,
    require_billing,
    require_billing_admin,
)
from nervecare.core.request_types import AuthedHttpRequest

# --- the books ---------------------------------------------------------------------------------------------


class DayQuery(Schema):
    day: HistoryDate | None = None


@router.get(
    "/billing/reports/day",
    response={200: DayTakingsOut, **error_responses()},
    summary="End-of-day takings by payment method (desk and admins)",
)
def report_day(request: AuthedHttpRequest, q: Query[DayQuery]) -> dict[str, Any]:
    require_billing(request.user)
    clinic = clinic_of(request.user)
    return reports.day_takings(clinic, q.day or timezone.localdate(timezone=selectors.clinic_zone(clinic)))


@router.get(
    "/billing/reports/aging",
    response={200: AgingOut, **error_responses()},
    summary="Outstanding balances by age (admins)",
)
def report_aging(request: AuthedHttpRequest) -> dict[str, Any]:
    require_billing_admin(request.user)
    clinic = clinic_of(request.user)
    return reports.aging(clinic, timezone.localdate(timezone=selectors.clinic_zone(clinic)))


@router.get(
    "/billing/reports/revenue",
    response={200: RevenueOut, **error_responses()},
    summary="Revenue by therapist, service and month (admins; a therapist their own)",
)
def report_revenue(request: AuthedHttpRequest, period: Query[PeriodQuery]) -> dict[str, Any]:
    user = request.user
    start, end = _period(period, clinic_of(user))
    if user.role == user.Role.THERAPIST and hasattr(user, "therapist"):
        return reports.revenue(clinic_of(user), start, end, therapist_id=user.therapist.pk)
    require_billing_admin(user)
    return reports.revenue(clinic_of(user), start, end)


@router.get(
    "/billing/reports/course-liabilities",
    response={200: LiabilitiesOut, **error_responses()},
    summary="Sessions sold but not yet given (admins)",
)
def report_liabilities(request: AuthedHttpRequest) -> dict[str, Any]:
    require_billing_admin(request.user)
    return reports.course_liabilities(clinic_of(request.user))


@router.get(
    "/billing/export.csv",
    response={200: None, **error_responses()},
    openapi_extra=_CSV,
    summary="The journal (invoice lines, payments, refunds) as CSV for an accounting package (admins)",
)
def export_csv(request: AuthedHttpRequest, period: Query[PeriodQuery]) -> HttpResponse:
    require_billing_admin(request.user)
    clinic = clinic_of(request.user)
    start, end = _period(period, clinic, default_days=31)
    return csv_download(reports.journal_csv(clinic, start, end), filename=f"journal-{start}-{end}.csv")
