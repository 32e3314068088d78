"""Care plans and their change log."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import Therapist, TimeStampedModel


class CarePlan(TimeStampedModel):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Modality(models.TextChoices):
        SWEDISH = "swedish", "Swedish massage"
        MLD = "mld", "Manual lymphatic drainage"

    class Scope(models.TextChoices):
        HAND_AND_FOOT = "hand_and_foot", "Hand-and-foot"
        FULL_BODY = "full_body", "Full-body"
        FOCAL = "focal", "Focal (the affected area)"

    class Pressure(models.TextChoices):
        LIGHT = "light", "Light"
        MODERATE = "moderate", "Moderate"
        FIRM = "firm", "Firm"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="plans")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    modality = models.CharField(max_length=20, choices=Modality.choices)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    pressure = models.CharField(max_length=20, choices=Pressure.choices)
    session_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(15), MaxValueValidator(120)]
    )
    sessions_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    course_weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(52)])
    reevaluation_weeks = models.JSONField(default=list)
    outcome_measures = models.JSONField(default=list)
    avoid_areas = models.JSONField(default=list, blank=True)
    precautions = models.JSONField(default=list, blank=True)
    required_min_years = models.PositiveSmallIntegerField(default=0)
    required_certifications = models.JSONField(default=list, blank=True)
    rationale = models.JSONField(default=list)
    therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    start_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(status="active"), name="careplan_one_active_per_client"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_modality_display()}, {self.get_scope_display().lower()}, {self.pressure} pressure, "
            f"{self.session_minutes} min × {self.sessions_per_week}/week for {self.course_weeks} weeks"
        )


class PlanChange(models.Model):
    """A change the therapist made to a proposed or active plan: who, when, what, why."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} -> {self.new_value!r}"
