"""A planned single-client trial ("Does it help me?", issue 21 point 3), its consent and its event log."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from nervecare.clients.models import Client


class Trial(models.Model):
    """An A-B-A-B (or A-B-A-B-A-B) design for one client: the design, the schedule drawn at random among the
    admissible ones (design.py), the baseline's stability at the proposal, and how it ended."""

    class Comparison(models.TextChoices):
        SESSIONS_VS_PAUSE = "sessions_vs_pause", "Sessions vs a planned pause"
        SWEDISH_VS_LYMPHATIC = "swedish_vs_lymphatic", "Manual lymphatic drainage vs Swedish massage"

    class Measure(models.TextChoices):
        PAIN = "pain", "Pain"
        NUMBNESS = "numbness", "Numbness"
        TINGLING = "tingling", "Tingling"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed (waiting for the client's consent)"
        ACTIVE = "active", "Agreed"
        DECLINED = "declined", "Declined by the client"
        STOPPED = "stopped", "Ended early"
        WITHDRAWN = "withdrawn", "Withdrawn by the client"

    class Alternative(models.TextChoices):
        LESS = "less", "B lowers the rating"
        TWO_SIDED = "two-sided", "Either way"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="trials")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    comparison = models.CharField(max_length=30, choices=Comparison.choices)
    measure = models.CharField(max_length=20, choices=Measure.choices)
    phases = models.PositiveSmallIntegerField()
    weeks_total = models.PositiveSmallIntegerField()
    min_phase_weeks = models.PositiveSmallIntegerField()
    rating_every_days = models.PositiveSmallIntegerField(default=1)
    randomise_first = models.BooleanField(default=False)
    alternative = models.CharField(max_length=10, choices=Alternative.choices)
    alpha = models.FloatField(default=0.05)
    start_date = models.DateField()
    # The draw: its index in design.admissible_schedules(...) and the schedule itself (kept to check the index
    # against if the enumeration ever changed), the number of admissible schedules, the rules version.
    schedule_index = models.PositiveIntegerField()
    schedule = models.JSONField()
    n_schedules = models.PositiveIntegerField()
    rules_version = models.CharField(max_length=20)
    # The baseline at the proposal (design.stability): numbers, verdict, reasons.
    stability = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"Trial {self.pk} of client {self.client_id} ({self.status})"

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=7 * self.weeks_total - 1)


class TrialConsent(models.Model):
    """The client's agreement to one trial: the version and the exact words shown, how it was given."""

    class Method(models.TextChoices):
        ELECTRONIC = "electronic", "Agreed in the portal"
        WRITTEN = "written", "Signed on paper"
        VERBAL = "verbal", "Verbal, witnessed"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="consents")
    text_version = models.CharField(max_length=20)
    text = models.TextField()
    given_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]

    def __str__(self) -> str:
        return f"Trial consent v{self.text_version} ({self.method})"


class TrialEvent(models.Model):
    """Append-only: what happened to a trial, who did it and why (a pause refused, a stop flag, withdrawal)."""

    class Kind(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CONSENTED = "consented", "Agreed by the client"
        DECLINED = "declined", "Declined by the client"
        PAUSE_REFUSED = "pause_refused", "Pause refused"
        STOPPED = "stopped", "Ended early"
        WITHDRAWN = "withdrawn", "Withdrawn by the client"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    # The safety flag that ended the trial, when one did.
    flag = models.ForeignKey(
        "screening.SafetyFlag", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"
