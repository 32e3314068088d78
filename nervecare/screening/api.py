"""API routes for instruments, responses, the safety check and flags."""

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from nervecare.clients.selectors import client_get_for_user
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.bounds import HistoryDate, HistoryDateTime
from nervecare.core.errors import FieldErrors
from nervecare.core.permissions import require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.screening import instruments, selectors, services
from nervecare.screening.models import SafetyFlag
from nervecare.screening.safety import ruleset

router = Router(tags=["screening"])


class AnswersIn(Schema):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any]


class ResponseIn(AnswersIn):
    instrument: str
    administered_at: HistoryDateTime | None = None
    context: str = "intake"


class ClearanceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    clinician: str = Field(min_length=1, max_length=200)
    clearance_date: HistoryDate
    note: str = ""


class InstrumentSummaryOut(Schema):
    code: str
    version: str
    title: str
    respondent: str
    items: int = Field(description="How many items")
    max: float = Field(description="The highest total")


class InstrumentOut(Schema):
    """An instrument's definition as its data file states it (scores and cut-offs as decimal strings)."""

    code: str
    version: str
    title: str
    short_title: str
    kind: str
    respondent: str
    family: str | None
    variant: str | None
    loinc: str | None
    citation: str
    licence: str
    notes: str
    sections: list[dict[str, Any]]
    items: list[dict[str, Any]]
    scoring: dict[str, Any]
    cutoffs: list[dict[str, Any]]
    result_when_not_met: str | None
    bands: list[dict[str, Any]]
    bands_source: str | None


class ScoreOut(Schema):
    instrument: str
    version: str
    answers: dict[str, Any]
    item_scores: dict[str, Any]
    total: float
    max: float
    interpretation: dict[str, Any] = Field(description="summary, positive, cutoffs (each met or not), band")


class ResponseOut(Schema):
    id: int
    client_id: int
    instrument: str
    definition_version: str
    answers: dict[str, Any]
    item_scores: dict[str, Any]
    total: float
    max: float
    interpretation: dict[str, Any]
    administered_at: str
    context: str


class FlagOut(Schema):
    id: int
    rule_id: str
    title: str
    level: str
    applies_to: list[str]
    area: str
    reason: str
    actions: list[str]
    source: str
    status: str
    raised_at: str
    resolution: str
    clearance_by: str
    clearance_date: str | None


class SafetyRuleOut(Schema):
    id: str
    title: str
    level: str
    level_setting: str | None
    applies_to: list[str]
    area: str
    when: str
    reason: str
    actions: list[str]
    effects: dict[str, Any]
    source: str
    basis: list[str]


@router.get(
    "/instruments",
    response={200: list[InstrumentSummaryOut], **error_responses()},
    summary="Instruments NerveCare scores",
)
def list_instruments(request: AuthedHttpRequest) -> list:
    return [
        {
            "code": d.code,
            "version": d.version,
            "title": d.title,
            "respondent": d.respondent,
            "items": len(d.items),
            "max": float(d.scoring.max),
        }
        for d in instruments.all_definitions().values()
    ]


@router.get(
    "/instruments/{code}",
    response={200: InstrumentOut, **error_responses(404)},
    summary="An instrument's full definition",
)
def get_instrument(request: AuthedHttpRequest, code: str) -> dict:
    if code not in instruments.all_definitions():
        raise Http404(f"No instrument {code!r}.")
    return instruments.get_definition(code).model_dump(mode="json", exclude={"answer_sets"})


@router.post(
    "/instruments/{code}/score",
    response={200: ScoreOut, **error_responses(404, *BODY)},
    summary="Score answers without storing them",
)
def score_instrument(request: AuthedHttpRequest, code: str, payload: AnswersIn) -> dict:
    if code not in instruments.all_definitions():
        raise Http404(f"No instrument {code!r}.")
    try:
        result = instruments.score(instruments.get_definition(code), payload.answers)
    except instruments.ScoringError as exc:
        raise FieldErrors(exc.errors) from None
    return services.jsonable(result) | {"total": float(result["total"]), "max": float(result["max"])}


@router.get(
    "/clients/{client_id}/responses",
    response={200: list[ResponseOut], **error_responses(404)},
    summary="A client's screenings",
)
def list_responses(request: AuthedHttpRequest, client_id: int, instrument: str = "") -> list:
    client = client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Screenings viewed (API)")
    return [selectors.response_as_dict(r) for r in selectors.responses_for_client(client, instrument)]


@router.post(
    "/clients/{client_id}/responses",
    response={201: ResponseOut, **error_responses(404, *BODY)},
    summary="Score and store a screening",
)
def add_response(request: AuthedHttpRequest, client_id: int, payload: ResponseIn) -> Status:
    client = client_get_for_user(request.user, client_id)
    response = services.response_create(
        actor=request.user,
        client=client,
        instrument=payload.instrument,
        answers=payload.answers,
        administered_at=payload.administered_at,
        context=payload.context,
    )
    return Status(201, selectors.response_as_dict(response))


@router.post(
    "/clients/{client_id}/safety-check",
    response={200: list[FlagOut], **error_responses(404)},
    summary="Run the safety check now",
)
def run_safety_check(request: AuthedHttpRequest, client_id: int) -> list:
    client = client_get_for_user(request.user, client_id)
    return [selectors.flag_as_dict(f) for f in services.safety_check_run(actor=request.user, client=client)]


@router.get(
    "/clients/{client_id}/flags",
    response={200: list[FlagOut], **error_responses(404)},
    summary="A client's safety flags",
)
def list_flags(request: AuthedHttpRequest, client_id: int, status: str = "open") -> list:
    client = client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Flags viewed (API)")
    flags = client.flags.all() if status == "all" else client.flags.filter(status=status)
    return [selectors.flag_as_dict(f) for f in flags]


@router.post(
    "/clients/{client_id}/flags/{flag_id}/clearance",
    response={200: FlagOut, **error_responses(404, *BODY)},
    summary="Record a clinician's clearance",
)
def record_clearance(request: AuthedHttpRequest, client_id: int, flag_id: int, payload: ClearanceIn) -> dict:
    client = client_get_for_user(request.user, client_id)
    flag = get_object_or_404(SafetyFlag, pk=flag_id, client=client)
    flag = services.flag_record_clearance(
        actor=request.user,
        flag=flag,
        clinician=payload.clinician,
        clearance_date=payload.clearance_date,
        note=payload.note,
    )
    return selectors.flag_as_dict(flag)


@router.get(
    "/safety-rules",
    response={200: list[SafetyRuleOut], **error_responses()},
    summary="The safety rules and their sources",
)
def list_rules(request: AuthedHttpRequest) -> list:
    require_clinical(request.user)
    return [r.model_dump() for r in ruleset().rules]
