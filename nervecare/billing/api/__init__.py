"""API routes for money: prices and settings, check-out, invoices, payments and refunds, courses, fees, the
superbill, and the books. The desk and admins handle money (no clinical content); voids, refunds, waivers
and prices are admins'; the superbill carries diagnoses, so it follows the clinical record's rule.

One router (`common.router`); each module adds its routes to it when imported here."""

from nervecare.billing.api import (  # noqa: F401 - they register their routes
    accounts,
    books,
    giftcards,
    invoices,
    memberships,
    prices,
)
from nervecare.billing.api.common import router

__all__ = ["router"]
