"""What outcomes store: the therapist's decision on a re-evaluation suggestion, and clinic report jobs."""

from typing import Any

from django.conf import settings
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import Clinic
from nervecare.plans.models import CarePlan


class ReevaluationDecision(models.Model):
    """The therapist's answer to NerveCare's suggestion at one re-evaluation point: accepted or overruled.

    Append-only: a later decision for the same point supersedes the earlier one, which stays as history."""

    class Action(models.TextChoices):
        CONTINUE = "continue", "Continue the plan"
        ADJUST = "adjust", "Adjust the plan"
        REFER = "refer", "Refer / ask the referring clinician"

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        OVERRULED = "overruled", "Overruled"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reevaluation_decisions")
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="reevaluation_decisions")
    week = models.PositiveSmallIntegerField()
    suggested = models.CharField(max_length=10, choices=Action.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(blank=True)
    # The suggestion's reasons and the rules version at the time (what the therapist saw).
    suggestion = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["client", "plan", "week"])]

    def __str__(self) -> str:
        return f"Week {self.week}: {self.decision} ({self.action})"

    @classmethod
    def latest_for_client(cls, client: Client) -> dict[tuple[int, int], "ReevaluationDecision"]:
        """{(plan id, week): the latest decision}."""
        latest: dict[tuple[int, int], ReevaluationDecision] = {}
        for d in cls.objects.filter(client=client).select_related("decided_by").order_by("decided_at", "id"):
            latest[(d.plan_id, d.week)] = d
        return latest


class ReportJob(models.Model):
    """A clinic outcome report built by the job queue, with its progress and, when done, the PDF."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="report_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, default="clinic")
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    message = models.CharField(max_length=200, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} report #{self.pk} ({self.status}, {self.progress}%)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "error": self.error,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


class ClientOutcomeSummary(models.Model):
    """One client's outcome numbers and grouping keys, kept so the clinic page is one GROUP BY.

    The values are what the from-scratch computation (cohort.client_summaries, series.py) gives; a row is
    marked stale when anything it was computed from changes (signals in nervecare/outcomes/summary.py) and
    recomputed before the clinic page reads it (and by the job queue after the change). `nervecare outcomes
    rebuild` recomputes every row. Times are epoch seconds so every engine compares them the same way."""

    client = models.OneToOneField(
        Client, primary_key=True, on_delete=models.CASCADE, related_name="outcome_summary"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    stale = models.BooleanField(default=False)
    marked_at = models.DateTimeField(null=True, blank=True)  # when last marked stale
    refreshed_at = models.DateTimeField()
    # Grouping keys ("none" when there is nothing to group by).
    type = models.CharField(max_length=20, default="none")
    cause = models.CharField(max_length=20, default="none")
    modality = models.CharField(max_length=20, default="none")
    therapist_id = models.IntegerField(null=True, blank=True)  # the plan's therapist (names read when shown)
    # The plan and attendance (drop-out is decided when read, as it depends on the day).
    plan_status = models.CharField(max_length=20, blank=True)
    planned = models.IntegerField(null=True, blank=True)
    completed = models.IntegerField(default=0)
    no_show = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    last_completed_ts = models.FloatField(null=True, blank=True)
    last_booked_ts = models.FloatField(null=True, blank=True)  # latest booked or checked-in start
    signed_notes = models.IntegerField(default=0)
    adverse_events = models.IntegerField(default=0)
    severe_events = models.IntegerField(default=0)
    # Per measure: baseline, "now", weeks with a value after baseline, last such week (series.py).
    pain_baseline = models.FloatField(null=True, blank=True)
    pain_current = models.FloatField(null=True, blank=True)
    pain_weeks = models.IntegerField(default=0)
    pain_last_week = models.IntegerField(null=True, blank=True)
    numbness_baseline = models.FloatField(null=True, blank=True)
    numbness_current = models.FloatField(null=True, blank=True)
    numbness_weeks = models.IntegerField(default=0)
    numbness_last_week = models.IntegerField(null=True, blank=True)
    tingling_baseline = models.FloatField(null=True, blank=True)
    tingling_current = models.FloatField(null=True, blank=True)
    tingling_weeks = models.IntegerField(default=0)
    tingling_last_week = models.IntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "stale"], name="outcomes_summary_stale")]

    def __str__(self) -> str:
        return f"Outcome summary of client {self.client_id}{' (stale)' if self.stale else ''}"
