"""The seam for online card payment by a processor (not built: out of scope for now).

An online payment is a Payment with method "online" whose status a processor moves:

    PENDING ──authorize──> AUTHORIZED ──capture──> SUCCEEDED
       │                       │
       └──────fail/cancel──────┴──> FAILED / CANCELLED

Only SUCCEEDED payments count towards what a client paid (selectors.invoice_paid). A processor plugs in by
implementing `PaymentProcessor` and being named in settings (NERVECARE_PAYMENT_PROCESSOR, a dotted path);
until one is, `payment_record` refuses the "online" method with a clear error. The processor's own id is kept
in Payment.processor_ref; status changes are the only change a recorded payment allows (models.Payment.save).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from nervecare.billing.models import Payment

# The moves a processor may make (anything else is refused).
TRANSITIONS: dict[str, set[str]] = {
    Payment.Status.PENDING: {
        Payment.Status.AUTHORIZED,
        Payment.Status.SUCCEEDED,
        Payment.Status.FAILED,
        Payment.Status.CANCELLED,
    },
    Payment.Status.AUTHORIZED: {Payment.Status.SUCCEEDED, Payment.Status.FAILED, Payment.Status.CANCELLED},
    Payment.Status.SUCCEEDED: set(),
    Payment.Status.FAILED: set(),
    Payment.Status.CANCELLED: set(),
}


@dataclass(frozen=True)
class Checkout:
    """What a processor answers when a payment starts: its id, and where to send the client's browser."""

    processor_ref: str
    redirect_url: str


class PaymentProcessor(Protocol):
    """An online card processor. Card numbers never reach NerveCare: the client pays on the processor's page."""

    def start(self, *, payment: Payment, amount: Decimal, currency: str, return_url: str) -> Checkout:
        """Create the processor's payment for a PENDING Payment; return its id and the page to pay on."""
        ...

    def status(self, *, processor_ref: str) -> str:
        """The payment's state at the processor, as one of Payment.Status."""
        ...

    def refund(self, *, processor_ref: str, amount: Decimal, currency: str) -> str:
        """Refund (part of) a captured payment; return the refund's processor id."""
        ...


def configured_processor() -> PaymentProcessor | None:
    """The clinic installation's processor, or None (the default: online payment is off)."""
    path = getattr(settings, "NERVECARE_PAYMENT_PROCESSOR", "")
    return import_string(path)() if path else None


def may_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, set())
