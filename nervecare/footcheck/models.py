"""The daily foot check (issue 18 point 4): what a client at risk found on their feet today, and the photo
they may add. A report with a new wound, or a warm foot with swelling or redness, keeps its safety flag open
until the therapist records the assessment (reviewed_at)."""

from django.conf import settings
from django.db import models

from nervecare.clients.models import Client


class FootCheck(models.Model):
    class Foot(models.TextChoices):
        NONE = "", "—"
        LEFT = "left", "Left foot"
        RIGHT = "right", "Right foot"
        BOTH = "both", "Both feet"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="foot_checks")
    # The clinic's local day the check was for (one client may report twice a day: a blister found at night).
    checked_on = models.DateField()
    reported_at = models.DateTimeField()
    new_cut = models.BooleanField(default=False)
    blister = models.BooleanField(default=False)
    redness = models.BooleanField(default=False)
    swelling = models.BooleanField(default=False)
    warmth = models.BooleanField(default=False)
    colour_change = models.BooleanField(default=False)
    foot = models.CharField(max_length=10, choices=Foot.choices, blank=True, default="")
    # Body-map region codes (clients/data/body_regions.yaml) on that foot.
    regions = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, default="")
    # The report rules that held (footcheck/data/foot_check_rules.yaml) and the safety rules they raise.
    rules_fired = models.JSONField(default=list, blank=True)
    flags_raised = models.JSONField(default=list, blank=True)
    rules_version = models.CharField(max_length=20)
    # Any finding at all: the client was told to contact their doctor or foot service today.
    needs_attention = models.BooleanField(default=False)
    # A report rule held: its stop flag stays open while the report is not reviewed.
    red_flag = models.BooleanField(default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-checked_on"], name="footcheck_client_day"),
            models.Index(fields=["client", "red_flag", "reviewed_at"], name="footcheck_open_red"),
        ]
        constraints = [
            # A finding names the foot (the form and the API refuse it otherwise; the database too).
            models.CheckConstraint(
                condition=models.Q(needs_attention=False) | ~models.Q(foot=""),
                name="footcheck_finding_names_the_foot",
            ),
            models.CheckConstraint(
                condition=models.Q(red_flag=False) | models.Q(needs_attention=True),
                name="footcheck_red_flag_has_a_finding",
            ),
        ]

    def __str__(self) -> str:
        return f"Foot check of {self.checked_on}"

    @property
    def open_red_flag(self) -> bool:
        return self.red_flag and self.reviewed_at is None


class FootCheckPhoto(models.Model):
    """The photo a client may add to a report: stored in the database (backups, erasure and the exports hold
    it), never under the static root; its type is what its bytes say (filetype), not its name."""

    foot_check = models.OneToOneField(FootCheck, on_delete=models.CASCADE, related_name="photo")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Photo of foot check {self.foot_check_id}"
