"""Money: prices, invoices and credit notes, payments and refunds, courses paid up front, fees.

Every amount is a Decimal (12 digits, 2 places) stored with the currency of its document (ISO 4217, the
clinic's currency when the document was made: a later change of the clinic's currency never re-reads an old
invoice). Arithmetic goes through py-moneyed's Money (nervecare.billing.money), which refuses to add two
currencies and never touches a float.

Issued invoices, their lines and payments are never edited or deleted: the model refuses (save/delete and
the queryset's update/delete) and so does the database (triggers in migration 0002, on SQLite and
PostgreSQL). An invoice is voided with a reason (its status and the void fields are the only columns that
may change, once) or corrected by a credit note.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from moneyed import Money

from nervecare.billing.models.fields import amount_field, currency_field
from nervecare.clients.models import Client
from nervecare.core.models import Clinic, Therapist
from nervecare.scheduling.models import Appointment, Service


class ImmutableRecordError(Exception):
    """Raised on an attempt to change or delete an issued money record (void or credit it instead)."""


class BillingSettings(models.Model):
    """A clinic's money rules (one row per clinic; `billing_settings_for` gives the defaults without one)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="billing_settings")
    # Sales tax / VAT: one rate per clinic, in percent; services marked exempt on their price are not taxed.
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    tax_label = models.CharField(max_length=30, default="Tax")
    # The clinic's tax identifier (EIN, VAT number) printed on invoices and superbills.
    tax_id = models.CharField(max_length=40, blank=True)
    # The clinic's NPI (type 2, organisation) for superbills; blank outside the US.
    npi = models.CharField(max_length=10, blank=True)
    late_cancel_fee = amount_field(default=Decimal("0"), validators=[MinValueValidator(0)])
    no_show_fee = amount_field(default=Decimal("0"), validators=[MinValueValidator(0)])
    tips_allowed = models.BooleanField(default=False)
    # E-mail the invoice (or, when paid in full, the receipt) to the client at check-out, through the job queue.
    email_at_checkout = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Money settings of clinic {self.clinic_id}"


class ProviderIdentifiers(models.Model):
    """A therapist's licence and identifiers, as insurers ask for them on a superbill."""

    therapist = models.OneToOneField(Therapist, on_delete=models.CASCADE, related_name="billing_ids")
    licence_number = models.CharField(max_length=40, blank=True)
    licence_state = models.CharField(max_length=40, blank=True, help_text="issuing state or body")
    npi = models.CharField(max_length=10, blank=True, help_text="individual NPI (type 1), US only")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Identifiers of therapist {self.therapist_id}"


class Price(models.Model):
    """What a service costs: the clinic's price, or one therapist's own price for it (a senior therapist may
    charge more). Prices are in the clinic's currency, before tax."""

    class Cpt(models.TextChoices):
        # Code numbers only (CPT is the AMA's copyright); clinical-reference.md §5.
        NONE = "", "None (outside the US, or not billed to insurance)"
        MASSAGE = "97124", "97124 massage, each 15 minutes"
        MANUAL = "97140", "97140 manual therapy, each 15 minutes"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="prices")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="prices")
    therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.CASCADE, related_name="prices"
    )
    amount = amount_field(validators=[MinValueValidator(0)])
    currency = currency_field()
    tax_exempt = models.BooleanField(default=False)
    cpt_code = models.CharField(max_length=5, choices=Cpt.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(therapist__isnull=True),
                name="billing_price_one_per_service",
            ),
            models.UniqueConstraint(
                fields=["service", "therapist"],
                condition=models.Q(therapist__isnull=False),
                name="billing_price_one_per_service_therapist",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="billing_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for service {self.service_id}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class InvoiceCounter(models.Model):
    """The next invoice number of one clinic. Issuing locks this row (SELECT ... FOR UPDATE), so concurrent
    check-outs queue here and the numbers have no gap and no duplicate."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Clinic {self.clinic_id}: last invoice {self.last_number}"


class ImmutableQuerySet(models.QuerySet):
    """Bulk changes are refused: each change to a money record goes through its service."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError(f"{self.model._meta.verbose_name} records cannot be bulk-updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{self.model._meta.verbose_name} records cannot be deleted")


class Invoice(models.Model):
    """An issued invoice or credit note, numbered in the clinic's unbroken sequence (shared by both kinds)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        VOID = "void", "Void"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invoices")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ISSUED)
    credits = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    currency = currency_field()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Totals are fixed when the invoice is issued (a credit note's are negative).
    subtotal = amount_field()
    discount_total = amount_field()
    tax_total = amount_field()
    total = amount_field()
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax_label = models.CharField(max_length=30)
    note = models.CharField(max_length=300, blank=True)
    void_reason = models.CharField(max_length=300, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="billing_invoice_number_unique"),
            models.CheckConstraint(
                condition=models.Q(status="issued") | ~models.Q(void_reason=""),
                name="billing_invoice_void_has_reason",
            ),
        ]

    # The only columns that may change after issue, once: issued -> void.

    def __str__(self) -> str:
        return self.display_number

    VOID_FIELDS = ("status", "void_reason", "voided_at", "voided_by")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            fields = kwargs.get("update_fields")
            if not fields or set(fields) - set(self.VOID_FIELDS):
                raise ImmutableRecordError(
                    "an issued invoice cannot be changed: void it or issue a credit note"
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("an issued invoice cannot be deleted: void it or issue a credit note")

    @property
    def display_number(self) -> str:
        return f"{'CN' if self.kind == self.Kind.CREDIT_NOTE else 'INV'}-{self.number:06d}"

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)


class InvoiceLine(models.Model):
    """One line of an invoice: a session, a course sold, a fee or a tip. Amounts are the line's own."""

    class Kind(models.TextChoices):
        SERVICE = "service", "Session"
        COURSE = "course", "Course of sessions (paid up front)"
        FEE = "fee", "Cancellation or no-show fee"
        TIP = "tip", "Tip"
        CREDIT = "credit", "Credit"
        GIFT_CARD = "gift_card", "Gift card sold"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=200)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    course = models.ForeignKey(
        "Course", null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    service_date = models.DateField(null=True, blank=True)
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price = amount_field()
    discount = amount_field(default=Decimal("0"))
    discount_reason = models.CharField(max_length=200, blank=True)
    tax = amount_field(default=Decimal("0"))
    total = amount_field()  # quantity × unit_price − discount + tax
    # For superbills: the procedure code and the 15-minute units by the 8-minute rule.
    cpt_code = models.CharField(max_length=5, blank=True)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    units = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="billing_line_position_unique"),
            models.CheckConstraint(
                condition=models.Q(discount=0) | ~models.Q(discount_reason=""),
                name="billing_line_discount_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Line {self.position} of invoice {self.invoice_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableRecordError("a line of an issued invoice cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("a line of an issued invoice cannot be deleted")


class Course(models.Model):
    """A course of N sessions of one service, sold at a price and paid up front. Each attended session checked
    out against it draws one down (at `session_value`, the price spread over the sessions; the last session
    takes the remainder so the sessions add up to the price to the cent)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        USED = "used", "Used up"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="courses")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="courses")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="courses")
    name = models.CharField(max_length=120)
    sessions_total = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(104)]
    )
    sessions_used = models.PositiveSmallIntegerField(default=0)
    price = amount_field(validators=[MinValueValidator(0)])
    currency = currency_field()
    expires_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    sold_at = models.DateTimeField()
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transferred_from = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A membership's period is a course: its sessions, paid for by the period's invoice, drawn at check-out,
    # expiring at the period's end (memberships.py).
    membership = models.ForeignKey(
        "Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="periods"
    )
    period_start = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-sold_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "period_start"],
                condition=models.Q(membership__isnull=False),
                name="billing_membership_one_invoice_per_period",
            ),
            models.CheckConstraint(
                condition=models.Q(sessions_used__lte=models.F("sessions_total")),
                name="billing_course_not_overdrawn",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.remaining} of {self.sessions_total} left)"

    @property
    def remaining(self) -> int:
        return self.sessions_total - self.sessions_used


class Fee(models.Model):
    """A late-cancellation or no-show fee raised from the clinic's policy; invoiced at the next check-out (or
    on its own), or waived by an admin with a reason."""

    class Kind(models.TextChoices):
        LATE_CANCEL = "late_cancel", "Late cancellation"
        NO_SHOW = "no_show", "No-show"

    class Status(models.TextChoices):
        PENDING = "pending", "To invoice"
        INVOICED = "invoiced", "Invoiced"
        WAIVED = "waived", "Waived"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="fees")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="fees")
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="fee")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = amount_field(validators=[MinValueValidator(0)])
    currency = currency_field()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    invoice_line = models.OneToOneField(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="fee"
    )
    waive_reason = models.CharField(max_length=300, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} fee {self.amount} {self.currency}"


class Payment(models.Model):
    """Money received (or, as a refund, paid back) for an invoice. A refund is its own row pointing at the
    payment it returns, by the same method. Never edited or deleted (only an online payment's status moves)."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card (clinic terminal)"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        COURSE = "course", "Course session (paid up front)"
        GIFT_CARD = "gift_card", "Gift card"
        ONLINE = "online", "Online card payment"

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"

    class Status(models.TextChoices):
        # In-person payments are recorded as SUCCEEDED. An online processor (not built yet: processors.py)
        # moves its payments PENDING -> AUTHORIZED -> SUCCEEDED, or to FAILED / CANCELLED.
        PENDING = "pending", "Pending"
        AUTHORIZED = "authorized", "Authorised"
        SUCCEEDED = "succeeded", "Received"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="payments")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PAYMENT)
    method = models.CharField(max_length=14, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    amount = amount_field(validators=[MinValueValidator(Decimal("0.01"))])
    currency = currency_field()
    card_last4 = models.CharField(max_length=4, blank=True)
    reference = models.CharField(max_length=80, blank=True, help_text="transfer reference or gift-card code")
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    gift_card = models.ForeignKey(
        "GiftCard", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    refund_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    reason = models.CharField(max_length=300, blank=True)
    # The processor's own id for an online payment (the seam: processors.py).
    processor_ref = models.CharField(max_length=120, blank=True)
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_payment_positive"),
            models.CheckConstraint(
                condition=models.Q(kind="payment")
                | (models.Q(refund_of__isnull=False) & ~models.Q(reason="")),
                name="billing_refund_has_original_and_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(card_last4="") | models.Q(card_last4__regex=r"^[0-9]{4}$"),
                name="billing_card_last4_four_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    STATUS_FIELDS = ("status", "processor_ref")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            fields = kwargs.get("update_fields")
            if not fields or set(fields) - set(self.STATUS_FIELDS):
                raise ImmutableRecordError("a recorded payment cannot be changed: refund it instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("a recorded payment cannot be deleted: refund it instead")

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == self.Kind.REFUND else self.amount
