"""Bulk-export jobs and the identifiers other systems gave the clients NerveCare imported."""

import uuid

from django.conf import settings
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import Clinic

ACTIVE_STATUSES = ("accepted", "in_progress")


class ExportJob(models.Model):
    """One Bulk Data export: who asked for what, how far it got, and the NDJSON files it wrote.

    The id is a random UUID: it is the status URL's last segment. Only the user who asked may poll it or
    download its files (the files hold what that user may see)."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Level(models.TextChoices):
        SYSTEM = "system", "The whole clinic ($export)"
        PATIENT = "patient", "Every client's data (Patient/$export)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=10, choices=Level.choices)
    request_url = models.TextField()
    site_url = models.CharField(max_length=300, blank=True)
    resource_types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACCEPTED)
    created_at = models.DateTimeField(auto_now_add=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # {"type": resource type being written, "types_done": n, "types_total": n, "resources": n}
    progress = models.JSONField(default=dict, blank=True)
    # [{"type": "Patient", "count": n}]: one NDJSON file per resource type (and one of OperationOutcomes).
    output = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One running export per clinic: a second kick-off is told to wait (429), even in a race.
            models.UniqueConstraint(
                fields=["clinic"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="exportjob_one_active_per_clinic",
            )
        ]

    def __str__(self) -> str:
        return f"Bulk export {self.id} ({self.status})"


class PatientIdentifier(models.Model):
    """An identifier another system gave a client (Patient.identifier of an imported referral).

    A later referral carrying the same identifier updates the same client; exports repeat it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="fhir_identifiers")
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "system", "value"], name="patientidentifier_unique_in_clinic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"


class ContactChangeProposal(models.Model):
    """Contact details an import found different from an existing client's, waiting for staff to review.

    An import never overwrites how a client is reached (a wrong or hostile referral could redirect their
    letters and calls): the differences wait here until someone who may see the client accepts or rejects
    them. `changes` is {field: {"current": value when proposed, "proposed": value from the import}}."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_proposals")
    source = models.CharField(max_length=100, default="FHIR referral import")
    changes = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["clinic", "status"], name="contactproposal_clinic_status")]

    def __str__(self) -> str:
        return f"Contact change proposal {self.pk} ({self.status})"
