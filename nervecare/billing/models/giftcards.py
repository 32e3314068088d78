"""Gift cards: sold on an invoice (a liability until redeemed), redeemed as a payment method, in part or in
full, until the balance is spent or the card expires. The balance only moves in the payment services, with the
card's row locked (SELECT ... FOR UPDATE), so two redemptions at once never overdraw it; the database refuses a
negative balance or one above the card's value as the last word."""

from django.conf import settings
from django.db import models

from nervecare.billing.models.fields import amount_field, currency_field
from nervecare.billing.models.records import Invoice
from nervecare.clients.models import Client
from nervecare.core.models import Clinic


class GiftCard(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled (its sale was voided)"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="gift_cards")
    # The client who bought it (the sale invoice's client); anyone may redeem it with the code.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="gift_cards")
    # XXXX-XXXX-XXXX from an alphabet without look-alikes (services/giftcards.py); the code is the credential.
    code = models.CharField(max_length=14, unique=True)
    amount = amount_field()
    balance = amount_field()
    currency = currency_field()
    expires_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    recipient_name = models.CharField(max_length=120, blank=True)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="gift_cards"
    )
    sold_at = models.DateTimeField()
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-sold_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_giftcard_positive"),
            models.CheckConstraint(
                condition=models.Q(balance__gte=0) & models.Q(balance__lte=models.F("amount")),
                name="billing_giftcard_balance_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Gift card …{self.last4} ({self.balance} {self.currency} left)"

    @property
    def last4(self) -> str:
        return self.code[-4:]
