"""Clinics, people and the audit trail."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Clinic(TimeStampedModel):
    """A clinic. Safety thresholds are clinic settings whose defaults come from the clinical reference."""

    class PlateletPolicy(models.TextChoices):
        MODIFY = "modify", "Gentle touch only (modify)"
        STOP = "stop", "No massage (stop)"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # Defaults: clinical-reference.md section 2 (Ng et al. 2018; Lopez et al. 2022; Huntsman Cancer Institute).
    platelets_min_per_ul = models.PositiveIntegerField(default=50_000)
    platelets_policy = models.CharField(
        max_length=10, choices=PlateletPolicy.choices, default=PlateletPolicy.MODIFY
    )
    neutrophils_min_per_ul = models.PositiveIntegerField(default=500)
    fever_min_celsius = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=Decimal("38.0"),
        validators=[MinValueValidator(Decimal("36.0")), MaxValueValidator(Decimal("42.0"))],
    )
    dvt_history_months = models.PositiveSmallIntegerField(default=6)
    # How long a deleted client's record is kept before it may be erased, counted from the later of the
    # last visit and the deletion. Not clinical advice: set it to what the clinic's jurisdiction and
    # professional body require (many require 7 years for adults; longer for minors).
    record_retention_years = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Staff belong to one clinic with one role."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Clinic owner / admin"
        THERAPIST = "therapist", "Therapist"
        FRONT_DESK = "front_desk", "Front desk"
        CLIENT = "client", "Client"

    clinic = models.ForeignKey(Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.THERAPIST)

    @property
    def is_clinical(self) -> bool:
        """May read and write clinical data (intake, screenings, flags, plans)."""
        return self.role in {self.Role.ADMIN, self.Role.THERAPIST} and self.clinic_id is not None


class Therapist(TimeStampedModel):
    """A therapist's professional profile: experience and certifications drive plan matching."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapist")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="therapists")
    display_name = models.CharField(max_length=200)
    years_experience = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(70)])
    # Codes from nervecare/plans/data/qualifications.yaml (e.g. "oncology_massage", "mld").
    certifications = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class AuditEvent(models.Model):
    """Append-only record of who read or changed clinical data, when, from where."""

    class Action(models.TextChoices):
        VIEW = "view"
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    clinic = models.ForeignKey(Clinic, null=True, on_delete=models.SET_NULL, related_name="audit_events")
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}#{self.object_id}"


class ApiToken(TimeStampedModel):
    """A revocable bearer token for the JSON API. Only a hash of the token is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # What the token may do: scopes from core/data/api_scopes.yaml (e.g. "clients:read"). Empty: nothing.
    scopes = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def state_at(self, now) -> str:  # noqa: ANN001
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
