"""Hooks scheduling calls, filled at start-up by the apps above it (scheduling may not import them).

Status listeners: when an appointment is cancelled or marked a no-show, apps above scheduling may act in the
same transaction (billing raises the clinic's late-cancellation or no-show fee; BillingConfig.ready).
"""

from typing import Protocol

from nervecare.core.models import User
from nervecare.scheduling.models import Appointment


class StatusListener(Protocol):
    def __call__(self, *, actor: User, appointment: Appointment, event: str) -> object: ...


_status_listeners: list[StatusListener] = []


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
