"""API schemas for the clinical record. Unknown fields are refused, so a typo is an error, not silence."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from nervecare.core.bounds import BirthDate, HistoryDate, HistoryDateTime

# A 0-10 rating: a JSON whole number only (true, "5" and 5.5 are refused).
Rating = Annotated[int, Field(strict=True, ge=0, le=10)]


NeuropathyType = Literal["peripheral", "focal", "cranial", "autoimmune"]
Cause = Literal[
    "diabetes_t1",
    "diabetes_t2",
    "chemotherapy",
    "injury",
    "infection",
    "autoimmune",
    "hereditary",
    "alcohol",
    "b12_deficiency",
    "unknown",
]


def _no_control_characters(value: Any) -> Any:
    texts = value if isinstance(value, list) else [value]
    for text in texts:
        if isinstance(text, str) and any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
            raise ValueError("must not contain control characters")
    return value


class Strict(Schema):
    """Unknown fields are errors, text is trimmed, control characters (NUL…) are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return _no_control_characters(value)


class ClientIn(Strict):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: BirthDate
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    address: str = ""
    emergency_contact_name: str = Field("", max_length=200)
    emergency_contact_phone: str = Field("", max_length=40)
    referring_clinician: str = Field("", max_length=200)
    referring_clinician_contact: str = Field("", max_length=200)
    goals: str = ""


class ClientPatch(Strict):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    date_of_birth: BirthDate | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    address: str | None = None
    emergency_contact_name: str | None = Field(None, max_length=200)
    emergency_contact_phone: str | None = Field(None, max_length=40)
    referring_clinician: str | None = Field(None, max_length=200)
    referring_clinician_contact: str | None = Field(None, max_length=200)
    goals: str | None = None


class ConditionIn(Strict):
    type: NeuropathyType
    cause: Cause
    diagnosis: str = Field("", max_length=200)
    diagnosis_code: str = ""
    phase: Literal["", "acute", "recovery", "chronic"] = ""
    chemotherapy_agent: str = Field("", max_length=100)
    chemotherapy_start: HistoryDate | None = None
    chemotherapy_end: HistoryDate | None = None
    onset_date: HistoryDate | None = None
    diagnosis_date: HistoryDate | None = None
    numbness: Rating | None = None
    pain: Rating | None = None
    tingling: Rating | None = None
    burning: Rating | None = None
    cramps: Rating | None = None
    weakness: Rating | None = None
    balance: Rating | None = None
    notes: str = ""


class ConditionPatch(Strict):
    type: NeuropathyType | None = None
    cause: Cause | None = None
    diagnosis: str | None = Field(None, max_length=200)
    diagnosis_code: str | None = None
    phase: Literal["", "acute", "recovery", "chronic"] | None = None
    chemotherapy_agent: str | None = Field(None, max_length=100)
    chemotherapy_start: HistoryDate | None = None
    chemotherapy_end: HistoryDate | None = None
    onset_date: HistoryDate | None = None
    diagnosis_date: HistoryDate | None = None
    numbness: Rating | None = None
    pain: Rating | None = None
    tingling: Rating | None = None
    burning: Rating | None = None
    cramps: Rating | None = None
    weakness: Rating | None = None
    balance: Rating | None = None
    notes: str | None = None


class Medication(Strict):
    name: str = Field(min_length=1, max_length=200)
    # e.g. anticoagulant, steroid, insulin, sulfonylurea, chemotherapy, analgesic, other
    medication_class: str = Field("", alias="class", max_length=40)


class MedicalIn(Strict):
    medications: list[Medication] = []
    on_anticoagulants: bool = False
    bleeding_disorder: bool = False
    on_steroids: bool = False
    on_insulin_or_sulfonylurea: bool = False
    comorbidities: list[str] = []
    heart_failure_uncontrolled: bool = False
    dvt_history: bool = False
    dvt_date: HistoryDate | None = None
    dvt_site: str = ""
    dvt_signs_now: bool = False
    lymph_nodes_removed: bool = False
    lymph_node_sites: list[str] = Field(
        [],
        description='Which nodes on which side: "<site>_<side>" codes, e.g. ["axillary_left"] '
        "(GET /api/v1/vocabularies lists them)",
    )
    lymph_nodes_site: str = ""
    lymphedema: bool = False
    lymphedema_site: str = ""
    radiation: bool = False
    radiation_site: str = ""
    recent_surgery: bool = False
    recent_surgery_site: str = ""
    tumour_or_enlarged_nodes: bool = False
    tumour_site: str = ""
    devices: list[Literal["port", "picc", "pacemaker", "insulin_pump", "other"]] = []
    devices_site: str = ""
    foot_wound_or_ulcer: bool = False
    foot_wound_site: str = ""
    foot_red_warm_swollen: bool = False
    foot_red_warm_swollen_side: Literal["left", "right", "both", ""] = ""
    skin_infection: bool = False
    platelets_per_ul: int | None = Field(None, ge=0, le=2_000_000)
    neutrophils_per_ul: int | None = Field(None, ge=0, le=200_000)
    hba1c_percent: Decimal | None = Field(None, ge=3, le=20, decimal_places=1)
    labs_date: HistoryDate | None = None
    in_chemotherapy: bool = False
    chemotherapy_cycle: int | None = Field(None, ge=1, le=100)
    temperature_celsius: Decimal | None = Field(None, ge=30, le=45, decimal_places=1)
    fever_or_infection: bool = False
    unstable_glucose: bool = False
    pregnant: bool = False
    trigeminal_trigger_zones: str = ""
    weakness_worsening_fast: bool = False
    breathing_or_swallowing_trouble: bool = False
    new_bladder_bowel_problems: bool = False
    sudden_facial_droop: bool = False
    notes: str = ""


class MarkIn(Strict):
    region: str
    side: Literal["left", "right", "both", "midline", ""] | None = None
    sensation: str
    intensity: Rating


class BodyMapIn(Strict):
    marks: list[MarkIn]
    context: Literal["intake", "visit", "reevaluation"] = "visit"


class ConsentIn(Strict):
    version: str
    method: Literal["written", "electronic", "verbal"]
    given_at: HistoryDateTime | None = None


class IntakeIn(Strict):
    client: ClientIn
    conditions: list[ConditionIn] = Field(min_length=1)
    medical: MedicalIn | None = None
    body_map: list[MarkIn] = []
    consent: ConsentIn | None = None
    primary_therapist_id: int | None = None


class ConditionOut(Schema):
    id: int
    type: str
    cause: str
    diagnosis: str
    diagnosis_code: str
    phase: str
    chemotherapy_agent: str
    chemotherapy_start: date | None
    chemotherapy_end: date | None
    onset_date: date | None
    diagnosis_date: date | None
    numbness: int | None
    pain: int | None
    tingling: int | None
    burning: int | None
    cramps: int | None
    weakness: int | None
    balance: int | None
    notes: str


class ClientSummaryOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    primary_therapist_id: int | None
    conditions: list[str]


class MarkOut(Schema):
    region: str
    side: str
    sensation: str
    intensity: int


class BodyMapOut(Schema):
    id: int
    recorded_at: datetime
    context: str
    pattern: str
    pattern_detail: dict
    marks: list[MarkOut]


class ConsentOut(Schema):
    id: int
    version: str
    method: str
    given_at: datetime
    withdrawn_at: datetime | None


class ClientOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    email: str
    phone: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    referring_clinician: str
    referring_clinician_contact: str
    goals: str
    primary_therapist_id: int | None
    conditions: list[ConditionOut]
    medical: "MedicalOut | None"
    consents: list[ConsentOut]
    body_map: BodyMapOut | None
    body_map_comparison: "BodyMapComparisonOut | None"
    open_flags: list[dict]
    latest_screenings: dict[str, dict]
    created_at: datetime
    updated_at: datetime


class HistoryOut(Schema):
    record: str
    at: datetime
    by: str | None
    change: str
    fields: dict


class MedicalOut(Schema):
    """The medical context as the record shows it: dates as ISO strings, decimals as strings."""

    created_at: str
    updated_at: str
    medications: list[dict[str, str]] = Field(description='[{"name": ..., "class": ...}]')
    on_anticoagulants: bool
    bleeding_disorder: bool
    on_steroids: bool
    on_insulin_or_sulfonylurea: bool
    comorbidities: list[str]
    heart_failure_uncontrolled: bool
    dvt_history: bool
    dvt_date: str | None
    dvt_site: str
    dvt_signs_now: bool
    lymph_nodes_removed: bool
    lymph_node_sites: list[str]
    lymph_nodes_site: str
    lymphedema: bool
    lymphedema_site: str
    radiation: bool
    radiation_site: str
    recent_surgery: bool
    recent_surgery_site: str
    tumour_or_enlarged_nodes: bool
    tumour_site: str
    devices: list[str]
    devices_site: str
    foot_wound_or_ulcer: bool
    foot_wound_site: str
    foot_red_warm_swollen: bool
    foot_red_warm_swollen_side: str
    skin_infection: bool
    platelets_per_ul: int | None
    neutrophils_per_ul: int | None
    hba1c_percent: str | None
    labs_date: str | None
    in_chemotherapy: bool
    chemotherapy_cycle: int | None
    temperature_celsius: str | None
    fever_or_infection: bool
    unstable_glucose: bool
    pregnant: bool
    trigeminal_trigger_zones: str
    weakness_worsening_fast: bool
    breathing_or_swallowing_trouble: bool
    new_bladder_bowel_problems: bool
    sudden_facial_droop: bool
    notes: str


class MarkChangeOut(Schema):
    region: str
    side: str
    sensation: str
    before: int | None
    after: int | None


class BodyMapComparisonOut(Schema):
    new: list[MarkChangeOut]
    resolved: list[MarkChangeOut]
    changed: list[MarkChangeOut]
    unchanged: int
    pattern_before: str
    pattern_after: str
    leg_spread_levels: int
    referral_question: bool


class BodyMapRecordedOut(Schema):
    body_map: BodyMapOut
    comparison_with_previous: BodyMapComparisonOut | None


class BodyMapVocabularyOut(Schema):
    version: str
    source: str
    sensations: list[dict[str, Any]]
    regions: list[dict[str, Any]]


class VocabulariesOut(Schema):
    diagnoses: list[dict[str, Any]] = Field(description="Diagnosis codes with ICD-10-CM and SNOMED CT.")
    consent_versions: list[str]
    devices: list[str]
    lymph_node_sites: list[dict[str, str]] = Field(
        description='Lymph-node site codes with labels, e.g. {"code": "axillary_left", "label": "Left armpit ..."}'
    )
    neuropathy_types: list[str]
    causes: list[str]
    body_map: BodyMapVocabularyOut


class ShareOut(Schema):
    therapist_id: int
    therapist: str
    shared_by: str | None
    created_at: datetime
    reason: str
