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
