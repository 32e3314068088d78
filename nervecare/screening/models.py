"""Screening responses, safety flags and each clinic's safety thresholds."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import Clinic


class SafetyThresholds(models.Model):
    """A clinic's safety thresholds, read by the safety rules as `settings.*`.

    The defaults are the published ones (clinical-reference.md section 2: Ng et al., J Integr Oncol 2018;
    Lopez et al. 2022; Huntsman Cancer Institute patient guidance; MassageMag oncology massage), which also
    hold for a clinic without a row: read them with `screening.selectors.thresholds_for(clinic)`.
    """

    class PlateletPolicy(models.TextChoices):
        MODIFY = "modify", "Gentle touch only (modify)"
        STOP = "stop", "No massage (stop)"

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, primary_key=True, related_name="safety_thresholds"
    )
    platelets_min_per_ul = models.PositiveIntegerField(
        default=50_000,
        help_text="Platelets (per µL) at or below this raise a flag; massage is safe only above it "
        "(50,000: Ng et al. 2018; Lopez et al. 2022).",
    )
    platelets_policy = models.CharField(
        max_length=10,
        choices=PlateletPolicy.choices,
        default=PlateletPolicy.MODIFY,
        help_text="What low platelets mean: gentle touch only, or no massage.",
    )
    neutrophils_min_per_ul = models.PositiveIntegerField(
        default=500,
        help_text="Neutrophils (ANC, per µL) below this stop massage (Lopez et al. 2022).",
    )
    fever_min_celsius = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=Decimal("38.0"),
        validators=[MinValueValidator(Decimal("36.0")), MaxValueValidator(Decimal("42.0"))],
        help_text="A temperature (°C) at or above this stops massage (Huntsman Cancer Institute: 38.0 °C).",
    )
    dvt_history_months = models.PositiveSmallIntegerField(
        default=6,
        help_text="A deep vein thrombosis within this many months needs medical clearance (Ng et al. 2018).",
    )

    class Meta:
        verbose_name_plural = "safety thresholds"

    def __str__(self) -> str:
        return f"Safety thresholds of clinic {self.clinic_id}"


class InstrumentResponse(models.Model):
    """One completed instrument, stored with the exact definition version that scored it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="responses")
    instrument = models.CharField(max_length=40, db_index=True)
    definition_version = models.CharField(max_length=20)
    definition_sha256 = models.CharField(max_length=64)
    answers = models.JSONField()
    item_scores = models.JSONField()
    total = models.DecimalField(max_digits=6, decimal_places=1)
    max_total = models.DecimalField(max_digits=6, decimal_places=1)
    interpretation = models.JSONField()
    administered_at = models.DateTimeField()
    context = models.CharField(max_length=20, default="intake")  # intake · visit · reevaluation
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-administered_at", "-id"]
        indexes = [models.Index(fields=["client", "instrument", "-administered_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} v{self.definition_version} = {self.total}"


class SafetyFlag(models.Model):
    class Level(models.TextChoices):
        STOP = "stop", "Stop"
        CLEARANCE = "clearance", "Clearance needed"
        MODIFY = "modify", "Modify"
        CAUTION = "caution", "Caution"

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    class Resolution(models.TextChoices):
        NONE = "", "—"
        CLEARED = "cleared", "Clinician's clearance recorded"
        NO_LONGER_APPLIES = "no_longer_applies", "No longer applies (data changed)"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="flags")
    rule_id = models.CharField(max_length=60)
    rules_version = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    level = models.CharField(max_length=20, choices=Level.choices)
    applies_to = models.JSONField(default=list, blank=True)
    area = models.CharField(max_length=200)
    reason = models.TextField()
    actions = models.JSONField(default=list)
    effects = models.JSONField(default=dict, blank=True)
    source = models.TextField()
    # The facts the flag was raised on (see SafetyRule.basis): a clearance holds only for the same basis.
    basis = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField()
    last_checked_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=30, choices=Resolution.choices, blank=True, default="")
    clearance_by = models.CharField(max_length=200, blank=True, help_text="Clinician who gave clearance.")
    clearance_date = models.DateField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    LEVEL_ORDER = {"stop": 0, "clearance": 1, "modify": 2, "caution": 3}

    class Meta:
        ordering = ["status", "raised_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "rule_id"],
                condition=models.Q(status="open"),
                name="safetyflag_one_open_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"[{self.level}] {self.title}"

    @property
    def blocks_plan(self) -> bool:
        return self.status == self.Status.OPEN and self.level in {self.Level.STOP, self.Level.CLEARANCE}
