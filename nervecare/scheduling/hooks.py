"""Hooks scheduling calls, filled at start-up by the apps above it (scheduling may not import them).

Check-in guards: before a client is checked in, every registered guard is asked; the first that gives a reason
blocks the check-in with that reason (e.g. online booking's "the intake is not complete and reviewed yet").
A guard is `guard(appointment) -> str | None`; it runs inside the check-in's transaction with the appointment
locked.

After check-out: the client has left and the visit is complete (the front desk's check-out). Billing hooks its
invoice here: `hook(actor=..., appointment=...)`, in the same transaction, so a failing hook leaves the
appointment checked in. After undoing a check-out: the same, so what a check-out started can be withdrawn.

After check-out links: what the desk does next with a checked-out visit (billing's check-out page for it).
A link is `link(user, appointment) -> (label, url) | None` (None: not for this user); the day view and the
appointment page show them. Scheduling never names billing's pages itself. Appointment links, the same
shape, are shown on the appointment page whatever its status (online booking's "cancel this held request").

Waitlist offers: when a waiting client is offered a time (by the desk, or a freed time automatically), the
apps above are told in the same transaction (the portal e-mails the client a link to accept it):
`hook(entry=...)`.

Status listeners: when an appointment is cancelled or marked a no-show, apps above scheduling may act in the
same transaction (billing raises the clinic's late-cancellation or no-show fee; BillingConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from nervecare.core.models import User
from nervecare.scheduling.models import Appointment, WaitlistEntry

CheckInGuard = Callable[[Appointment], "str | None"]


class CheckOutHook(Protocol):
    def __call__(self, *, actor: User, appointment: Appointment) -> Any: ...


class StatusListener(Protocol):
    def __call__(self, *, actor: User, appointment: Appointment, event: str) -> object: ...


_check_in_guards: list[CheckInGuard] = []
_after_check_out: list[CheckOutHook] = []
_after_check_out_undone: list[CheckOutHook] = []
_status_listeners: list[StatusListener] = []

CheckOutLink = Callable[[User, Appointment], "tuple[str, str] | None"]
_check_out_links: list[CheckOutLink] = []
_waitlist_offer_hooks: list[Callable[..., object]] = []
_appointment_links: list[CheckOutLink] = []


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


def add_check_out_link(link: CheckOutLink) -> CheckOutLink:
    """Register a link shown on a checked-out visit (idempotent: once per function)."""
    if link not in _check_out_links:
        _check_out_links.append(link)
    return link


def check_out_links(user: User, appointment: Appointment) -> list[tuple[str, str]]:
    """(label, url) of every registered link this user may follow for this checked-out visit."""
    if appointment.status != Appointment.Status.COMPLETED or appointment.checked_out_at is None:
        return []
    return [link for fn in _check_out_links if (link := fn(user, appointment)) is not None]


def add_appointment_link(link: CheckOutLink) -> CheckOutLink:
    """Register a link shown on the appointment page (idempotent: once per function)."""
    if link not in _appointment_links:
        _appointment_links.append(link)
    return link


def appointment_links(user: User, appointment: Appointment) -> list[tuple[str, str]]:
    """(label, url) of every registered appointment-page link this user may follow for this appointment."""
    return [link for fn in _appointment_links if (link := fn(user, appointment)) is not None]


def on_waitlist_offer(hook: Callable[..., object]) -> Callable[..., object]:
    """Register `hook(entry=...)`, called after a waitlist entry is offered a time (idempotent)."""
    if hook not in _waitlist_offer_hooks:
        _waitlist_offer_hooks.append(hook)
    return hook


def waitlist_offered(entry: WaitlistEntry) -> None:
    for hook in _waitlist_offer_hooks:
        hook(entry=entry)
