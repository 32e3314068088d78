"""Clinics, people and the audit trail."""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Clinic(TimeStampedModel):
    """A clinic: the tenant every record belongs to. Its clinical settings (the safety thresholds) live in
    the apps that own them (screening.SafetyThresholds)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # How long a deleted client's record is kept before it may be erased, counted from the later of the
    # last visit and the deletion. Not clinical advice: set it to what the clinic's jurisdiction and
    # professional body require (many require 7 years for adults; longer for minors).
    record_retention_years = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Contact details shown on the booking page, day lists and (with the money issue) invoices.
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # Where the clinic is: ISO 3166-1 alpha-2 country and, optionally, the ISO 3166-2 subdivision code the
    # public-holiday calendar (the `holidays` library) uses for regional holidays (e.g. "GB" + "ENG").
    country = models.CharField(max_length=2, blank=True)
    subdivision = models.CharField(max_length=10, blank=True)
    # ISO 4217 currency of every price and payment of this clinic.
    currency = models.CharField(max_length=3, default="USD")
    # Booking rules: how soon (hours) and how far ahead (days) clients may book online, and how late
    # (hours before) they may cancel or move a booking themselves.
    min_notice_hours = models.PositiveSmallIntegerField(default=24, validators=[MaxValueValidator(24 * 60)])
    booking_horizon_days = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    cancellation_notice_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MaxValueValidator(24 * 60)]
    )
    # The public booking page for new clients (no sign-in) is off until the owner turns it on.
    online_booking_enabled = models.BooleanField(default=False)

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
    # Only on a user signed in by an API token (core.services.api_token_authenticate): the token's scopes
    # limit what the request may do. A type declaration, not a field.
    api_token: "ApiToken"
    # Set on each request's user by django-otp's OTPMiddleware: signed in with a second factor.
    is_verified: Callable[[], bool]

    class Meta(AbstractUser.Meta):
        constraints = [
            # A clinic's people (its admins included) are never Django superusers or staff: the admin site
            # and superuser powers span every clinic (issue 14, finding 6). Only the installation's operator,
            # outside every clinic (`nervecare createsuperuser`), is.
            models.CheckConstraint(
                condition=models.Q(clinic__isnull=True) | models.Q(is_superuser=False, is_staff=False),
                name="core_user_clinic_member_not_superuser_or_staff",
                violation_error_message="A clinic's people cannot be superusers or staff.",
            )
        ]

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
    # {code: "YYYY-MM-DD"}: the last day a certification in `certifications` is valid. A code without an entry
    # does not expire. An expired one is kept (and shown as expired) but no longer counts for matching.
    certification_expiry = models.JSONField(default=dict, blank=True)
    # A short introduction shown on the public booking page.
    bio = models.TextField(blank=True, max_length=2000)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def certifications_on(self, day: datetime.date) -> list[str]:
        """The certifications that count on `day`: held, and not expired (valid through their expiry date)."""
        expiry = self.certification_expiry or {}
        return [c for c in self.certifications if not (expiry.get(c) and str(expiry[c]) < day.isoformat())]

    def certification_expired(self, code: str, day: datetime.date) -> bool:
        expires = (self.certification_expiry or {}).get(code)
        return bool(expires) and str(expires) < day.isoformat()


class AuditEventQuerySet(models.QuerySet):
    """The audit trail is append-only: bulk changes are refused here, and by a database trigger below."""

    def update(self, **kwargs: object) -> int:
        raise AuditTrailAppendOnlyError("audit events cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditTrailAppendOnlyError("audit events cannot be deleted")

    def bulk_update(self, *args: object, **kwargs: object) -> int:
        raise AuditTrailAppendOnlyError("audit events cannot be updated")


class AuditTrailAppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEvent(models.Model):
    """Append-only record of who read or changed clinical data, when, what record, what changed, from where.

    Written only by `nervecare.core.audit.append` (through `services.audit_record`). Each clinic has its own
    hash chain (`chain` = clinic id, 0 for events without a clinic): `hash` is SHA-256 over the canonical
    JSON of the event's fields and `prev_hash`, so changing, removing or re-ordering an event breaks the
    chain (`nervecare audit verify`). Who and which clinic are kept as plain values: the foreign keys have
    no database constraint and never cascade, so deleting a user, a client or their data leaves the trail
    as it was (a SET NULL would be an UPDATE, which the append-only trigger refuses).
    """

    class Action(models.TextChoices):
        VIEW = "view", _("view")
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")

    at = models.DateTimeField(default=timezone.now)  # searched per clinic: the (clinic, at) index below
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # nothing looks events up by user id (searches use the username); one index less
        related_name="audit_events",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    clinic = models.ForeignKey(  # indexed by the (clinic, at) index below
        Clinic,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="audit_events",
    )
    # The client whose data this is (plain id: it outlives the client's erasure).
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    chain = models.BigIntegerField(default=0)
    # The event's place in its chain; NULL while it waits for its seal (deferred sealing, core/audit/chain.py).
    seq = models.BigIntegerField(null=True, blank=True, default=None)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["clinic", "at"], name="core_audit_clinic_at_idx"),
            # The events waiting for their seal (deferred sealing): found without reading the whole trail.
            models.Index(
                fields=["chain", "id"], condition=models.Q(seq__isnull=True), name="core_audit_pending_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="core_auditevent_chain_seq_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditTrailAppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AuditTrailAppendOnlyError("audit events cannot be deleted")


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


class IdempotencyRecord(models.Model):
    """The answer to a POST sent with an `Idempotency-Key` header (core/idempotency.py), kept for a day per
    user and key so a retry gets the same answer instead of a second booking. The row is written first (state
    in_progress, committed on its own) so the unique (user, key) constraint decides between concurrent
    requests; the response is stored once the view has answered."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "in progress"
        DONE = "done", "done"

    # Null for an anonymous form (online booking): its key is the random one-time token the page rendered.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotency_records",
        null=True,
        blank=True,
    )
    key = models.CharField(max_length=255)
    # sha256 of method, path and the sha256 of the body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key_unique"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(user__isnull=True), name="core_idempotency_anon_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class StoredFile(models.Model):
    """A generated file (a FHIR bulk-export NDJSON file...) kept in the database, so every app process on
    every machine can serve it without a shared disk (core/filestore.py, the "database" storage backend).
    The bytes are in StoredFileChunk rows of up to 1 MiB, read one at a time while the download streams."""

    name = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class StoredFileChunk(models.Model):
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "seq"], name="core_storedfilechunk_file_seq")]

    def __str__(self) -> str:
        return f"{self.file_id}#{self.seq}"
