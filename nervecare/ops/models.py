"""Switching in and out (issue 16 §5) and documents (§6): CSV imports from another practice system with their
saved column mappings and the keys that make re-running an import add nothing; clinic-wide exports; the
documents (a doctor's letter, a clearance, a referral) attached to a client."""

import uuid

from django.conf import settings
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import Clinic
from nervecare.screening.models import SafetyFlag


class ImportKind(models.TextChoices):
    CLIENTS = "clients", "Clients"
    APPOINTMENTS = "appointments", "Appointments and past visits"


class ImportPreset(models.Model):
    """A column mapping a clinic saved (field -> the file's column), to reuse with the next file."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="import_presets")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    name = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict)
    date_format = models.CharField(max_length=10, default="iso")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "kind", "name"], name="importpreset_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One uploaded file on its way in: mapped, checked (dry run), then imported whole or not at all."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded: map the columns"
        CHECKED = "checked", "Checked (dry run)"
        QUEUED = "queued", "Waiting to import"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Not imported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="import_runs")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    source = models.CharField(max_length=40, default="generic", help_text="The preset the file came with.")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    content = models.TextField(help_text="The uploaded CSV, decoded (kept to re-run the import).")
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    date_format = models.CharField(max_length=10, default="iso")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.filename} ({self.status})"


class ImportKey(models.Model):
    """What one row of another system became here: re-running an import finds its key and adds nothing."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=[("client", "client"), ("appointment", "appointment")])
    external_id = models.CharField(max_length=200)
    object_id = models.BigIntegerField()
    run = models.ForeignKey(ImportRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "kind", "external_id"], name="importkey_once_per_clinic"
            )
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="importkey_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id} -> {self.object_id}"


class PastVisit(models.Model):
    """A visit from before the switch, as the other system recorded it: a date, who and what. Not an
    appointment (no session note is owed for it, it holds no time), but part of the client's history."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="past_visits")
    visited_on = models.DateField()
    starts_at = models.DateTimeField(null=True, blank=True)
    therapist_name = models.CharField(max_length=200, blank=True)
    service_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=40, blank=True)
    run = models.ForeignKey(ImportRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-visited_on", "id"]
        indexes = [models.Index(fields=["client", "visited_on"], name="pastvisit_client_date")]

    def __str__(self) -> str:
        return f"visit on {self.visited_on}"


class ClientDocument(models.Model):
    """A doctor's letter, a clearance or a referral (PDF or image) kept with the client's record, in the
    database (never under the static root). Its type is what its bytes say, not its name."""

    class Kind(models.TextChoices):
        LETTER = "letter", "Doctor's letter"
        CLEARANCE = "clearance", "Medical clearance"
        REFERRAL = "referral", "Referral"
        OTHER = "other", "Other document"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="documents")
    flag = models.ForeignKey(
        SafetyFlag, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"
