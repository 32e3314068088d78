"""API schemas for session notes. Unknown fields are refused (extra="forbid"), so a typo is an error."""

from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, Field

from nervecare.clients.schemas import Rating, Strict

Modality = Literal["swedish", "mld"]
Pressure = Literal["light", "moderate", "firm"]
Kind = Literal[
    "bruising", "soreness_over_48h", "skin_reaction", "dizziness", "hypoglycaemia", "fall", "other"
]
Severity = Literal["mild", "moderate", "severe"]
Minutes = Annotated[int, Field(strict=True, ge=1, le=240)]
LongText = Annotated[str, Field(max_length=20_000)]


class AreaIn(Strict):
    region: str = Field(
        max_length=60, description="A body-map region: code, label or alias (GET /vocabularies)."
    )
    side: Literal["left", "right", "both", "midline", ""] = ""


class AdverseEventIn(Strict):
    kind: Kind
    severity: Severity
    description: str = Field(min_length=1, max_length=5_000)
    follow_up: str = Field("", max_length=5_000)
    resolved: bool = False


class AdverseEventPatch(Strict):
    follow_up: str | None = Field(None, max_length=5_000)
    resolved: bool | None = None


class NoteIn(Strict):
    """The whole draft: a field left out is emptied. `adverse_events`, when given, replaces the draft's."""

    modality: Modality | None = Field(None, description="Defaults to the booked service's modality.")
    pressure: Pressure | None = None
    minutes: Minutes | None = None
    areas_treated: list[AreaIn] = Field(default_factory=list, max_length=60)
    subjective: LongText = ""
    objective: LongText = ""
    assessment: LongText = ""
    plan: LongText = ""
    pain_before: Rating | None = None
    pain_after: Rating | None = None
    numbness_before: Rating | None = None
    numbness_after: Rating | None = None
    tingling_before: Rating | None = None
    tingling_after: Rating | None = None
    soreness_after: Rating | None = None
    stress_before: Rating | None = Field(
        None, description="The client's stress just before the session (0-10)."
    )
    stress_after: Rating | None = Field(
        None, description="The client's stress just after the session (0-10)."
    )
    falls_since_last_visit: int | None = Field(
        None, ge=0, le=50, description="Falls since the last visit, as the client counts them."
    )
    next_session_plan: LongText = ""
    adverse_events: list[AdverseEventIn] | None = Field(None, max_length=50)


class AmendmentIn(Strict):
    reason: str = Field(min_length=1, max_length=2_000)
    changes: dict[str, Any] = Field(
        default_factory=dict, description='{field: corrected value}, e.g. {"soreness_after": 3}.'
    )
    text: LongText = Field("", description="A free-text addendum.")


class AreaOut(Schema):
    region: str
    side: str


class AdverseEventOut(Schema):
    id: int
    note_id: int
    kind: str
    severity: str
    description: str
    follow_up: str
    resolved: bool
    resolved_at: str | None
    recorded_by: str | None
    created_at: str


class AmendmentOut(Schema):
    id: int
    author: str | None
    created_at: str
    reason: str
    changes: dict[str, list[Any]]
    text: str


class NoteOut(Schema):
    id: int
    appointment_id: int
    client_id: int
    therapist: str
    session_starts_at: str
    status: Literal["draft", "signed"]
    modality: str
    pressure: str
    minutes: int | None
    areas_treated: list[AreaOut]
    subjective: str
    objective: str
    assessment: str
    plan: str
    pain_before: int | None
    pain_after: int | None
    numbness_before: int | None
    numbness_after: int | None
    tingling_before: int | None
    tingling_after: int | None
    soreness_after: int | None
    stress_before: int | None
    stress_after: int | None
    falls_since_last_visit: int | None
    next_session_plan: str
    flags: list[dict[str, Any]] = Field(description="The safety flags in force when last saved or signed.")
    flags_checked_at: str | None
    signed_at: str | None
    signed_by: str | None
    created_at: str
    updated_at: str
    adverse_events: list[AdverseEventOut]
    amendments: list[AmendmentOut]
    current: dict[str, Any] = Field(description="The note's content with its amendments applied.")


class ReviewReasonOut(Schema):
    code: Literal["soreness_high", "soreness_rising", "adverse_event_unresolved"]
    message: str


class ReviewOut(Schema):
    client_id: int
    first_name: str
    last_name: str
    primary_therapist: str | None
    recent_soreness: list[int | None]
    reasons: list[ReviewReasonOut]


PhysicalKind = Literal[
    "ankle_dorsiflexion", "ankle_plantarflexion", "wrist_extension", "wrist_flexion", "tug"
]


class PhysicalMeasureIn(Strict):
    """One goniometer reading (degrees; side and active/passive required) or one Timed Up and Go (seconds)."""

    measurement: PhysicalKind = Field(description="A joint movement (screening/data/measures.yaml) or 'tug'.")
    context: Literal["baseline", "reevaluation"]
    reading: float = Field(
        ge=0, le=300, allow_inf_nan=False, description="Degrees (0-180) or seconds (1-300)."
    )
    side: Literal["left", "right", ""] = ""
    mode: Literal["active", "passive", ""] = ""
    walking_aid: bool = False
    measured_at: AwareDatetime | None = Field(None, description="Defaults to now.")
    appointment_id: int | None = Field(None, ge=1, le=2_147_483_647)


class PhysicalMeasureOut(Schema):
    id: int
    client_id: int
    appointment_id: int | None
    measurement: str
    title: str
    context: str
    side: str
    mode: str
    reading: float
    unit: str
    walking_aid: bool
    measured_at: str
    normal_range: list[int] | None = None
    percent_of_normal: float | None = None
    full_normal_range: bool | None = None
    normal_range_source: str | None = None
    at_or_above_cutoff: bool | None = None
    cutoff: float | None = None
    cutoff_source: str | None = None
