"""The clinic's booking rules (core.Clinic's fields), in one place for every path that books or changes a
booking: minimum notice and how far ahead a client may book themself, and how late a client may cancel or move
a booking themself (the cancellation-notice period). The staff book any time from now on: the desk takes a
phone call for this afternoon, and a plan's course runs past the online horizon.

Each rule answers with the sentence the client (or the desk) reads, naming what they can do instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from nervecare.core.models import Clinic
from nervecare.scheduling.models import Appointment


def _call(clinic: Clinic) -> str:
    return f"please call the clinic on {clinic.phone}" if clinic.phone else "please call the clinic"


def client_booking_error(clinic: Clinic, starts_at: datetime, *, now: datetime | None = None) -> str | None:
    """Why a client may not book (or move to) this time themself, or None: sooner than the clinic's minimum
    notice, or beyond its booking horizon (counted in the clinic's local days)."""
    now = now or timezone.now()
    if starts_at < now + timedelta(hours=clinic.min_notice_hours):
        return (
            f"sessions can be booked online at least {clinic.min_notice_hours} hours ahead; "
            f"for a sooner time {_call(clinic)}"
        )
    tz = ZoneInfo(clinic.timezone)
    last_day = now.astimezone(tz).date() + timedelta(days=clinic.booking_horizon_days)
    if starts_at.astimezone(tz).date() > last_day:
        return (
            f"sessions can be booked online up to {clinic.booking_horizon_days} days ahead "
            f"(until {last_day:%d %B %Y}); for a later date {_call(clinic)}"
        )
    return None


def client_change_error(appointment: Appointment, *, now: datetime | None = None) -> str | None:
    """The true reason a client may not cancel or move this booking themself, or None."""
    now = now or timezone.now()
    clinic = appointment.clinic
    status = appointment.status
    if status == Appointment.Status.CHECKED_IN:
        return "you are checked in for this appointment"
    if status == Appointment.Status.CANCELLED:
        return "this appointment is already cancelled"
    if status in (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW) or appointment.starts_at <= now:
        return "this appointment has already taken place"
    if appointment.starts_at - now < timedelta(hours=clinic.cancellation_notice_hours):
        return (
            f"it starts in less than {clinic.cancellation_notice_hours} hours, the clinic's cancellation "
            f"notice; to change or cancel it {_call(clinic)}"
        )
    return None


def min_notice(clinic: Clinic) -> timedelta:
    return timedelta(hours=clinic.min_notice_hours)
