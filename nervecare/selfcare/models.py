"""Home self-care programmes (issue 18 points 2, 3): what a therapist assigned, what the client did.

The items themselves are data (selfcare/data/items.yaml, `library.py`); a programme stores item codes.
Every change to a programme is a `ProgrammeChange` row (who, when, why, what) besides the audit trail.
"""

from django.conf import settings
from django.db import models

from nervecare.clients.models import Client


class Programme(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="selfcare_programmes")
    title = models.CharField(max_length=120, default="Home programme")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(status="active"), name="selfcare_one_active_programme"
            ),
            models.CheckConstraint(
                name="selfcare_programme_end_after_start",
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} from {self.starts_on}"


class ProgrammeItem(models.Model):
    """One library item in a programme, due from `starts_on` to `ends_on` (inclusive; None: the
    programme's end). A removed item keeps its row (its past check-offs count) with `removed_at` set."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="items")
    item_code = models.CharField(max_length=60)
    note = models.CharField(max_length=300, blank=True, help_text="The therapist's words for this client.")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "item_code"],
                condition=models.Q(removed_at__isnull=True),
                name="selfcare_item_once_per_programme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_code} ({self.starts_on}–{self.ends_on or '…'})"


class ProgrammeChange(models.Model):
    """The programme's history: who changed what, when and why (issue 18 point 2)."""

    class Action(models.TextChoices):
        CREATED = "created", "Assigned"
        ITEM_ADDED = "item_added", "Item added"
        ITEM_REMOVED = "item_removed", "Item removed"
        DATES_CHANGED = "dates_changed", "Dates changed"
        ENDED = "ended", "Ended"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.JSONField(default=dict, blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d}"


class CheckOff(models.Model):
    """The client did an item on a day (once per item and day), with an optional 0-10 rating and note."""

    item = models.ForeignKey(ProgrammeItem, on_delete=models.CASCADE, related_name="check_offs")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="selfcare_check_offs")
    day = models.DateField()
    done_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["client", "day"], name="selfcare_checkoff_client_day")]
        constraints = [
            models.UniqueConstraint(fields=["item", "day"], name="selfcare_checkoff_once_a_day"),
            models.CheckConstraint(
                name="selfcare_checkoff_rating_0_10",
                condition=models.Q(rating__isnull=True) | models.Q(rating__lte=10),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.item_code} done {self.day}"


class ReminderSetting(models.Model):
    """The time of day (in the clinic's time zone) the client asked to be reminded by e-mail."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="selfcare_reminder")
    enabled = models.BooleanField(default=True)
    remind_at = models.TimeField()
    # The local day the last reminder went out: at most one a day, claimed before the e-mail is queued.
    last_sent_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Reminder at {self.remind_at:%H:%M}" + ("" if self.enabled else " (off)")
