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
    # Sleep is asked once: "How well did you sleep?" (`sleep_quality` below, the claims' measure, as at intake).
    # `sleep` ("how much did symptoms disturb your sleep?") was asked as well until December 2026: kept for the
    # entries that have it, null in newer ones.
    sleep = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=RATING, help_text="Sleep disturbed by symptoms (older entries)"
    )
    # The claims' measures (issue 21; screening/data/measures.yaml), asked only where they apply: null = not
    # asked or not answered.
    sleep_quality = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=RATING, help_text="Sleep quality, 0 = very badly, 10 = very well"
    )
    cramp_count = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(50)], help_text="Muscle cramps that day"
    )
    cramp_worst = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=RATING, help_text="Worst cramp that day (0-10)"
    )
    headache = models.BooleanField(null=True, blank=True, help_text="A headache that day (migraine)")
    joint_pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=RATING, help_text="Arthritis joint pain (0-10)"
    )
    note = models.CharField(max_length=200, blank=True)

    # The optional measures above, in the order the diary asks them.
    CLAIM_FIELDS = ("sleep_quality", "cramp_count", "cramp_worst", "headache", "joint_pain")

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="diary_one_entry_per_day"),
            *(
                models.CheckConstraint(
                    name=f"diary_{name}_0_10",
                    condition=models.Q(**{f"{name}__isnull": True}) | models.Q(**{f"{name}__lte": 10}),
                )
                for name in ("sleep_quality", "cramp_worst", "joint_pain")
            ),
            models.CheckConstraint(
                name="diary_cramp_count_0_50",
                condition=models.Q(cramp_count__isnull=True) | models.Q(cramp_count__lte=50),
            ),
        ]

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
