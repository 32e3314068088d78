"""The client's own account and their symptom diary."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import TimeStampedModel

RATING = [MinValueValidator(0), MaxValueValidator(10)]


class ClientAccount(TimeStampedModel):
    """Links a sign-in (a core.User with the role "client") to exactly one client record."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account"
    )
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="portal_account")
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Portal account of {self.client}"


class DiaryEntry(TimeStampedModel):
    """One day's symptom ratings (0 = none, 10 = worst), written by the client between sessions."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="diary_entries")
    day = models.DateField()
    pain = models.PositiveSmallIntegerField(validators=RATING)
    numbness = models.PositiveSmallIntegerField(validators=RATING)
    tingling = models.PositiveSmallIntegerField(validators=RATING)
    sleep = models.PositiveSmallIntegerField(validators=RATING, help_text="Sleep disturbed by symptoms")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["client", "day"], name="diary_one_entry_per_day")]

    def __str__(self) -> str:
        return f"Diary {self.client_id} {self.day}"


class ClientIntake(TimeStampedModel):
    """The intake a client filled in themselves in the portal before their first visit.

    The facts go through the clinical services (clients.services, so the safety check runs) with the client as
    the actor; this row records what the client reported, which condition and body map came from it, and
    whether a therapist has reviewed it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="portal_intakes")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    condition = models.ForeignKey(
        "clients.Condition", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_map = models.ForeignKey(
        "clients.BodyMap", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the client answered, as given (labels resolved when shown), for the therapist's review.
    reported = models.JSONField(default=dict, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Intake reported by client {self.client_id} on {self.created_at:%Y-%m-%d}"
