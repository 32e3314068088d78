"""Session notes: one per appointment, signed to lock it, corrected by amendments kept beside the original."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from nervecare.clients.models import Client
from nervecare.core.models import TimeStampedModel
from nervecare.plans.models import CarePlan
from nervecare.scheduling.models import Appointment

RATING = [MinValueValidator(0), MaxValueValidator(10)]
RATED_SYMPTOMS = ("pain", "numbness", "tingling")
RATING_FIELDS = (*(f"{s}_{when}" for s in RATED_SYMPTOMS for when in ("before", "after")), "soreness_after")
SOAP_FIELDS = ("subjective", "objective", "assessment", "plan")
# The claims' measures taken in a session (issue 21; screening/data/measures.yaml): the client's stress just
# before and after (0-10) and their falls since the last visit (a count).
STRESS_FIELDS = ("stress_before", "stress_after")
CLAIM_FIELDS = (*STRESS_FIELDS, "falls_since_last_visit")

# What a therapist writes in a note (the API, the pages, the services and amendments share this list).
NOTE_FIELDS = (
    "modality",
    "pressure",
    "minutes",
    "areas_treated",
    *SOAP_FIELDS,
    *RATING_FIELDS,
    *CLAIM_FIELDS,
    "next_session_plan",
)


class SessionNote(TimeStampedModel):
    """What happened in one session. A draft can be changed; once signed it is locked."""

    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BOTH = "both", "Both sides"
        MIDLINE = "midline", "Midline"

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="note")
    # The appointment's client, kept here so a client's notes and the review list need no join.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="session_notes")
    modality = models.CharField(max_length=20, choices=CarePlan.Modality.choices)
    # Blank or null while a draft: the note is often started before the session.
    pressure = models.CharField(max_length=20, choices=CarePlan.Pressure.choices, blank=True)
    minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    # [{"region": code from clients/data/body_regions.yaml, "side": left|right|both|midline}]
    areas_treated = models.JSONField(default=list, blank=True)
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    pain_before = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    pain_after = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    numbness_before = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    numbness_after = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    tingling_before = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    tingling_after = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    soreness_after = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    stress_before = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    stress_after = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    falls_since_last_visit = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(50)]
    )
    next_session_plan = models.TextField(blank=True)
    # The safety flags in force when the note was last saved or signed (flag_as_dict plus effects).
    flags = models.JSONField(default=list, blank=True)
    flags_checked_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "signed_at"])]
        constraints = [
            *(
                models.CheckConstraint(
                    name=f"sessionnote_{name}_0_10",
                    condition=models.Q(**{f"{name}__isnull": True}) | models.Q(**{f"{name}__lte": 10}),
                )
                for name in (*RATING_FIELDS, *STRESS_FIELDS)
            ),
            models.CheckConstraint(
                name="sessionnote_falls_0_50",
                condition=models.Q(falls_since_last_visit__isnull=True)
                | models.Q(falls_since_last_visit__lte=50),
            ),
            models.CheckConstraint(
                name="sessionnote_minutes_1_240",
                condition=models.Q(minutes__isnull=True) | models.Q(minutes__gte=1, minutes__lte=240),
            ),
        ]

    def __str__(self) -> str:
        state = "signed" if self.signed_at else "draft"
        return f"Session note for appointment {self.appointment_id} ({state})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class NoteAmendment(models.Model):
    """A correction or addendum to a signed note. The signed text is never changed; this sits beside it."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    # {field: [value before this amendment, corrected value]}
    changes = models.JSONField(default=dict, blank=True)
    # A free-text addendum (may come with or without field changes).
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Amendment {self.id} to note {self.note_id}"

    @property
    def client(self) -> Client:
        # audit_record finds the clinic through obj.client.
        return self.note.client


class AdverseEvent(TimeStampedModel):
    """Something that went wrong after or during a session, followed up until resolved."""

    class Kind(models.TextChoices):
        BRUISING = "bruising", "Bruising"
        SORENESS_OVER_48H = "soreness_over_48h", "Soreness lasting over 48 hours"
        SKIN_REACTION = "skin_reaction", "Skin reaction"
        DIZZINESS = "dizziness", "Dizziness"
        HYPOGLYCAEMIA = "hypoglycaemia", "Hypoglycaemia"
        FALL = "fall", "Fall"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    description = models.TextField()
    follow_up = models.TextField(blank=True)
    resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["resolved"])]

    def __str__(self) -> str:
        state = "resolved" if self.resolved else "open"
        return f"{self.get_severity_display()} {self.get_kind_display().lower()} ({state})"

    @property
    def client(self) -> Client:
        # audit_record finds the clinic through obj.client.
        return self.note.client


class PhysicalMeasure(TimeStampedModel):
    """What the therapist measures at baseline and re-evaluations (issue 21): goniometer readings and the
    Timed Up and Go. The movements, normal ranges and cut-off are data (screening/data/measures.yaml)."""

    class Context(models.TextChoices):
        BASELINE = "baseline", "Baseline"
        REEVALUATION = "reevaluation", "Re-evaluation"

    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        NONE = "", "—"

    class Mode(models.TextChoices):
        ACTIVE = "active", "Active"
        PASSIVE = "passive", "Passive"
        NONE = "", "—"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="physical_measures")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="physical_measures"
    )
    measured_at = models.DateTimeField()
    context = models.CharField(max_length=20, choices=Context.choices)
    # "tug", or a goniometer movement code ("ankle_dorsiflexion", ...).
    kind = models.CharField(max_length=40)
    side = models.CharField(max_length=10, choices=Side.choices, blank=True, default="")
    mode = models.CharField(max_length=10, choices=Mode.choices, blank=True, default="")
    value = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(300)],
        help_text="Degrees for a movement, seconds for the Timed Up and Go.",
    )
    walking_aid = models.BooleanField(default=False, help_text="Timed Up and Go done with a walking aid.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["measured_at", "id"]
        indexes = [models.Index(fields=["client", "kind", "measured_at"])]
        constraints = [
            models.CheckConstraint(
                name="physicalmeasure_value_0_300", condition=models.Q(value__gte=0, value__lte=300)
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.side} {self.value} ({self.context})"
