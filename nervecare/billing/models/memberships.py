"""Memberships: a monthly fee for N sessions of a service. Each period is invoiced (the job queue's daily run,
idempotent: one course per membership and period start, a unique constraint) as a course of N sessions that
expires at the period's end, so check-out draws a membership session exactly as it draws a course session.
A plan may let the unused sessions of a period roll over into the next one (for one period)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from nervecare.billing.models.fields import amount_field, currency_field
from nervecare.clients.models import Client
from nervecare.core.models import Clinic
from nervecare.scheduling.models import Service


class MembershipPlan(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="membership_plans")
    name = models.CharField(max_length=120)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="membership_plans")
    price = amount_field(validators=[MinValueValidator(0)])  # per month, before tax (taxed like the service)
    currency = currency_field()
    sessions_per_period = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    rollover = models.BooleanField(default=False, help_text="unused sessions stay usable for one more month")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="billing_plan_name_unique"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="billing_plan_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="memberships")
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="memberships")
    # Periods run a month from this day (the 31st runs to the month's last day).
    starts_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Cancelled: no period starting after this day is invoiced (the paid period runs to its end).
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.plan} from {self.starts_on}"
