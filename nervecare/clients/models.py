"""The clinical record taken at intake: client, consent, neuropathy, medical context, body map."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from nervecare.core.models import Clinic, Therapist, TimeStampedModel

RATING = [MinValueValidator(0), MaxValueValidator(10)]

# The client details a therapist may enter and change (the API, the pages and the services share this list).
CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "referring_clinician",
    "referring_clinician_contact",
    "goals",
)


_HISTORY_MANAGER_CLASSES: dict[tuple[type, type, str | None], type] = {}


class RecordHistoryManager(HistoryManager):
    """simple_history's manager, whose class is built once per history model (issue 20).

    `instance.history` (read for every row saved, to write its history row) builds the manager class again
    from the queryset class on each access (BaseManager.from_queryset: an inspect.getmembers of the queryset
    class), about a millisecond per intake; the class built is the same every time, so it is kept."""

    @classmethod
    def from_queryset(cls, queryset_class: type, class_name: str | None = None) -> type:  # type: ignore[override]
        key = (cls, queryset_class, class_name)
        made = _HISTORY_MANAGER_CLASSES.get(key)
        if made is None:
            made = _HISTORY_MANAGER_CLASSES[key] = super().from_queryset(queryset_class, class_name)
        return made


def record_history() -> HistoricalRecords:
    """The history of a part of the clinical record: who changed what and when (django-simple-history)."""
    return HistoricalRecords(history_manager=RecordHistoryManager)


class ActiveClientManager(models.Manager["Client"]):
    """The default manager: clients that have not been deleted. Every listing, search and lookup uses it."""

    def get_queryset(self) -> models.QuerySet["Client"]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class Client(TimeStampedModel):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    referring_clinician = models.CharField(max_length=200, blank=True)
    referring_clinician_contact = models.CharField(max_length=200, blank=True)
    goals = models.TextField(blank=True, help_text="The client's goals for massage, in their words.")
    primary_therapist = models.ForeignKey(
        Therapist, null=True, blank=True, on_delete=models.SET_NULL, related_name="clients"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Registered by the client on the public booking page: contact details and consent only, until a therapist
    # has reviewed the intake they fill in (staff see such a client marked as provisional).
    provisional = models.BooleanField(default=False)
    # Soft delete (nervecare/clients/privacy.py): hidden everywhere, restorable by an admin until the
    # clinic's retention period has passed, then erased by `nervecare purge`.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deletion_reason = models.CharField(max_length=300, blank=True)
    history = record_history()

    objects = ActiveClientManager()
    # Deleted clients too: for admins' restore, retention, erasure and backups only.
    all_objects = models.Manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        # Related lookups (appointment.client) must still reach a deleted client's row.
        base_manager_name = "all_objects"
        default_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ConsentText(models.Model):
    """A versioned consent-to-treatment text; a consent record points at the exact version signed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_texts")
    version = models.CharField(max_length=20)
    body = models.TextField()
    effective_from = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="consent_text_version_unique")
        ]
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"Consent v{self.version}"


class Consent(models.Model):
    class Method(models.TextChoices):
        WRITTEN = "written", "Signed on paper"
        ELECTRONIC = "electronic", "Signed electronically"
        VERBAL = "verbal", "Verbal, witnessed"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"Consent v{self.text.version} ({self.method}) {self.given_at:%Y-%m-%d}"


class Condition(TimeStampedModel):
    """One neuropathy the client lives with, as told at intake."""

    class Type(models.TextChoices):
        PERIPHERAL = "peripheral", "Peripheral"
        FOCAL = "focal", "Focal"
        CRANIAL = "cranial", "Cranial"
        AUTOIMMUNE = "autoimmune", "Autoimmune"

    class Cause(models.TextChoices):
        DIABETES_T1 = "diabetes_t1", "Diabetes type 1"
        DIABETES_T2 = "diabetes_t2", "Diabetes type 2"
        CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
        INJURY = "injury", "Injury or entrapment"
        INFECTION = "infection", "Infection or illness"
        AUTOIMMUNE = "autoimmune", "Autoimmune disease"
        HEREDITARY = "hereditary", "Hereditary"
        ALCOHOL = "alcohol", "Alcohol"
        B12 = "b12_deficiency", "Vitamin B12 deficiency"
        UNKNOWN = "unknown", "Unknown"

    class Phase(models.TextChoices):
        NOT_APPLICABLE = "", "Not applicable"
        ACUTE = "acute", "Acute (onset phase)"
        RECOVERY = "recovery", "Recovery"
        CHRONIC = "chronic", "Chronic / stable"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="conditions")
    type = models.CharField(max_length=20, choices=Type.choices)
    cause = models.CharField(max_length=20, choices=Cause.choices)
    diagnosis = models.CharField(
        max_length=200,
        blank=True,
        help_text="e.g. carpal tunnel syndrome, Guillain–Barré, trigeminal neuralgia",
    )
    diagnosis_code = models.CharField(max_length=40, blank=True, help_text="From the condition vocabulary.")
    phase = models.CharField(max_length=20, choices=Phase.choices, blank=True, default="")
    chemotherapy_agent = models.CharField(max_length=100, blank=True)
    chemotherapy_start = models.DateField(null=True, blank=True)
    chemotherapy_end = models.DateField(null=True, blank=True)
    onset_date = models.DateField(null=True, blank=True)
    diagnosis_date = models.DateField(null=True, blank=True)
    # Symptoms at intake, each 0-10; null = not asked / not reported.
    numbness = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    pain = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    tingling = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    burning = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    cramps = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    weakness = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    balance = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    notes = models.TextField(blank=True)
    history = record_history()

    SYMPTOMS = ("numbness", "pain", "tingling", "burning", "cramps", "weakness", "balance")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name=f"condition_{s}_0_10",
                condition=models.Q(**{f"{s}__isnull": True}) | models.Q(**{f"{s}__lte": 10}),
            )
            for s in ("numbness", "pain", "tingling", "burning", "cramps", "weakness", "balance")
        ]

    def __str__(self) -> str:
        return self.describe(self.type, self.cause)

    @classmethod
    def describe(cls, type_: str, cause: str) -> str:
        """What str() of a condition with this type and cause says (lists use it without loading the rows);
        an unknown code shows as itself, as get_FOO_display() does."""
        return f"{_TYPE_LABELS.get(type_, type_)} neuropathy ({_CAUSE_LABELS.get(cause, cause)})"


_TYPE_LABELS = dict(Condition.Type.choices)
_CAUSE_LABELS = dict(Condition.Cause.choices)


# The fields of a condition a person enters (forms, API, services); the record reads them plus the id.
CONDITION_FIELDS = (
    "type",
    "cause",
    "diagnosis",
    "diagnosis_code",
    "phase",
    "chemotherapy_agent",
    "chemotherapy_start",
    "chemotherapy_end",
    "onset_date",
    "diagnosis_date",
    *Condition.SYMPTOMS,
    "notes",
)


class MedicalContext(TimeStampedModel):
    """What massage safety depends on. One per client, kept current; history keeps earlier states."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="medical")
    # Medications: a list of {"name": str, "class": code from the medication-class vocabulary}.
    medications = models.JSONField(default=list, blank=True)
    on_anticoagulants = models.BooleanField(default=False)
    bleeding_disorder = models.BooleanField(default=False)
    on_steroids = models.BooleanField(default=False)
    on_insulin_or_sulfonylurea = models.BooleanField(default=False)
    # Comorbidities: codes from the vocabulary (migraine, arthritis, heart_failure...) plus free text.
    comorbidities = models.JSONField(default=list, blank=True)
    heart_failure_uncontrolled = models.BooleanField(default=False)
    dvt_history = models.BooleanField(default=False)
    dvt_date = models.DateField(null=True, blank=True)
    dvt_site = models.CharField(max_length=100, blank=True)
    dvt_signs_now = models.BooleanField(
        default=False, help_text="One-sided calf swelling, pain or warmth now (suspected DVT)."
    )
    lymph_nodes_removed = models.BooleanField(default=False)
    # Which nodes on which side, as codes "<site>_<side>" from clients/data/lymph_nodes.yaml (e.g.
    # "axillary_left"): the safety rule turns them into the at-risk limb (axillary → that arm, inguinal or
    # pelvic → that leg). lymph_nodes_site keeps any further detail in words.
    lymph_node_sites = models.JSONField(default=list, blank=True)
    lymph_nodes_site = models.CharField(max_length=200, blank=True)
    lymphedema = models.BooleanField(default=False)
    lymphedema_site = models.CharField(max_length=200, blank=True)
    radiation = models.BooleanField(default=False)
    radiation_site = models.CharField(max_length=200, blank=True)
    recent_surgery = models.BooleanField(default=False)
    recent_surgery_site = models.CharField(max_length=200, blank=True)
    tumour_or_enlarged_nodes = models.BooleanField(default=False)
    tumour_site = models.CharField(max_length=200, blank=True)
    # Devices and lines: codes "port", "picc", "pacemaker", "insulin_pump", "other".
    devices = models.JSONField(default=list, blank=True)
    devices_site = models.CharField(max_length=200, blank=True)
    foot_wound_or_ulcer = models.BooleanField(default=False)
    foot_wound_site = models.CharField(max_length=100, blank=True)
    foot_red_warm_swollen = models.BooleanField(
        default=False, help_text="A red, warm, swollen or newly deformed foot (suspected Charcot foot)."
    )
    foot_red_warm_swollen_side = models.CharField(
        max_length=10,
        blank=True,
        choices=[("left", "Left foot"), ("right", "Right foot"), ("both", "Both feet")],
        help_text="Which foot is red, warm, swollen or deformed.",
    )
    skin_infection = models.BooleanField(default=False, help_text="Active skin infection or cellulitis.")
    platelets_per_ul = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(2_000_000)]
    )
    neutrophils_per_ul = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(200_000)]
    )
    hba1c_percent = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(3), MaxValueValidator(20)],
    )
    labs_date = models.DateField(null=True, blank=True)
    in_chemotherapy = models.BooleanField(default=False)
    chemotherapy_cycle = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    temperature_celsius = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(45)],
    )
    fever_or_infection = models.BooleanField(default=False)
    unstable_glucose = models.BooleanField(default=False)
    pregnant = models.BooleanField(default=False)
    trigeminal_trigger_zones = models.CharField(max_length=200, blank=True)
    # Red flags that need a doctor soon (BMJ Best Practice).
    weakness_worsening_fast = models.BooleanField(default=False)
    breathing_or_swallowing_trouble = models.BooleanField(default=False)
    new_bladder_bowel_problems = models.BooleanField(default=False)
    sudden_facial_droop = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    history = record_history()


class BodyMap(models.Model):
    """Where the client feels each sensation, recorded at intake and again at any visit."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="body_maps")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    context = models.CharField(max_length=20, default="intake")
    pattern = models.CharField(max_length=40, blank=True)
    pattern_detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Body map {self.recorded_at:%Y-%m-%d} ({self.pattern or 'no pattern'})"


class BodyMapMark(models.Model):
    class Side(models.TextChoices):
        LEFT = "left"
        RIGHT = "right"
        MIDLINE = "midline"

    body_map = models.ForeignKey(BodyMap, on_delete=models.CASCADE, related_name="marks")
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, choices=Side.choices)
    sensation = models.CharField(max_length=20)
    intensity = models.PositiveSmallIntegerField(validators=RATING)

    class Meta:
        ordering = ["region", "side", "sensation"]
        constraints = [
            models.UniqueConstraint(
                fields=["body_map", "region", "side", "sensation"], name="bodymap_mark_unique"
            ),
            models.CheckConstraint(name="bodymap_mark_intensity_0_10", condition=models.Q(intensity__lte=10)),
        ]

    def __str__(self) -> str:
        return f"{self.sensation} {self.intensity}/10 at {self.side} {self.region}"


class ClientShare(models.Model):
    """A client's clinical record shared with a therapist who is not (yet) treating them: cover, second
    opinion, supervision. Made and removed by the clinic's admins or the client's primary therapist."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="shares")
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="shared_clients")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["client", "therapist"], name="clientshare_unique")]

    def __str__(self) -> str:
        return f"{self.client} shared with {self.therapist}"


class ClientAccessGrant(models.Model):
    """Explicit access to a client's clinical record for one member of staff, and why.

    The clinical record never asks the apps above it who treats a client: they grant and revoke here. A plan
    grants its therapist access while it is proposed or active (reason "plan", source: the plan); a booking made
    by the front desk, an admin or the client grants the booked therapist access while a live appointment of
    theirs with the client remains (reason "booking", source: the appointment that granted it). A revoked grant
    is kept, so an admin can see who had access and when."""

    class Reason(models.TextChoices):
        PLAN = "plan", "care plan"
        BOOKING = "booking", "booking"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="access_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    source_id = models.BigIntegerField(help_text="The plan or appointment that gave the access.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["granted_at", "id"]
        indexes = [models.Index(fields=["user", "client"], name="clientaccess_user_client")]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "user", "reason", "source_id"],
                condition=models.Q(revoked_at__isnull=True),
                name="clientaccess_one_live_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} may see {self.client} ({self.reason} {self.source_id})"
