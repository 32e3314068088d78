"""Money: prices, invoices and credit notes, payments and refunds, courses paid up front, fees (`records`), gift
cards (`giftcards`) and memberships (`memberships`). See each module's docstring for its rules."""

from nervecare.billing.models.giftcards import GiftCard
from nervecare.billing.models.memberships import Membership, MembershipPlan
from nervecare.billing.models.records import (
    BillingSettings,
    Course,
    Fee,
    ImmutableQuerySet,
    ImmutableRecordError,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Payment,
    Price,
    ProviderIdentifiers,
)

__all__ = [
    "BillingSettings",
    "Course",
    "Fee",
    "GiftCard",
    "ImmutableQuerySet",
    "ImmutableRecordError",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "Membership",
    "MembershipPlan",
    "Payment",
    "Price",
    "ProviderIdentifiers",
]
