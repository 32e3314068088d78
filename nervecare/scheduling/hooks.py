"""Hooks scheduling calls, filled at start-up by the apps above it (scheduling may not import them).

Check-in guards: before a client is checked in, every registered guard is asked; the first that gives a reason
blocks the check-in with that reason (e.g. online booking's "the intake is not complete and reviewed yet").
A guard is `guard(appointment) -> str | None`; it runs inside the check-in's transaction with the appointment
locked.

After check-out: the client has left and the visit is complete (the front desk's check-out). Billing hooks its
invoice here: `hook(actor=..., appointment=...)`, in the same transaction, so a failing hook leaves the
appointment checked in. After undoing a check-out: the same, so what a check-out started can be withdrawn.

Status listeners: when an appointment is cancelled or marked a no-show, apps above scheduling may act in the
same transaction (billing raises the clinic's late-cancellation or no-show fee; BillingConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from nervecare.core.models import User
from nervecare.scheduling.models import Appointment

CheckInGuard = Callable[[Appointment], "str | None"]


class CheckOutHook(Protocol):
    def __call__(self, *, actor: User, appointment: Appointment) -> Any: ...


class StatusListener(Protocol):
    def __call__(self, *, actor: User, appointment: Appointment, event: str) -> object: ...


_check_in_guards: list[CheckInGuard] = []
_after_check_out: list[CheckOutHook] = []
_after_check_out_undone: list[CheckOutHook] = []
_status_listeners: list[StatusListener] = []


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


def on_checked_out(hook: CheckOutHook) -> CheckOutHook:
    """Register a hook run after every check-out, in its transaction (idempotent)."""
    if hook not in _after_check_out:
        _after_check_out.append(hook)
    return hook


def on_check_out_undone(hook: CheckOutHook) -> CheckOutHook:
    """Register a hook run after a check-out is undone, in its transaction (idempotent)."""
    if hook not in _after_check_out_undone:
        _after_check_out_undone.append(hook)
    return hook


def checked_out(*, actor: User, appointment: Appointment) -> None:
    for hook in _after_check_out:
        hook(actor=actor, appointment=appointment)


def check_out_undone(*, actor: User, appointment: Appointment) -> None:
    for hook in _after_check_out_undone:
        hook(actor=actor, appointment=appointment)


def add_status_listener(listener: StatusListener) -> StatusListener:
    """Register a function called after an appointment is cancelled ("cancelled") or marked a no-show
    ("no_show"), inside the service's transaction (idempotent: once per function)."""
    if listener not in _status_listeners:
        _status_listeners.append(listener)
    return listener


def status_changed(*, actor: User, appointment: Appointment, event: str) -> None:
    """Call the registered listeners (none registered: nothing happens)."""
    for listener in _status_listeners:
        listener(actor=actor, appointment=appointment, event=event)
