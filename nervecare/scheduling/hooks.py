"""Hooks scheduling calls, filled at start-up by the apps above it (scheduling may not import them).

Check-in guards: before a client is checked in, every registered guard is asked; the first that gives a reason
blocks the check-in with that reason (e.g. online booking's "the intake is not complete and reviewed yet").
A guard is `guard(appointment) -> str | None`; it runs inside the check-in's transaction with the appointment
locked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nervecare.scheduling.models import Appointment

CheckInGuard = Callable[["Appointment"], "str | None"]

_check_in_guards: list[CheckInGuard] = []


def register_check_in_guard(guard: CheckInGuard) -> CheckInGuard:
    """Register a function that may refuse a check-in with a reason (idempotent: once per function)."""
    if guard not in _check_in_guards:
        _check_in_guards.append(guard)
    return guard


def check_in_block_reason(appointment: Appointment) -> str | None:
    """The first registered guard's reason not to check this appointment in, or None."""
    for guard in _check_in_guards:
        reason = guard(appointment)
        if reason:
            return reason
    return None
