"""API routes for care plans."""

from typing import Any, Literal

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from nervecare.clients.selectors import client_get_for_user
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_view
from nervecare.core.bounds import ScheduleDate
from nervecare.core.errors import FieldErrors
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.plans import selectors, services
from nervecare.plans.models import CarePlan

router = Router(tags=["plans"])


class TherapistOut(Schema):
    id: int
    display_name: str
    years_experience: int
    certifications: list[str]


# Plans own the therapist profiles a plan is matched with. The tag and operationId stay those the route had
# when it lived in core/api.py, so the published API (and clients generated from it) do not change.
@router.get(
    "/therapists",
    response={200: list[TherapistOut], **error_responses()},
    summary="The clinic's therapists",
    tags=["clinic"],
    operation_id="nervecare_core_api_therapists",
)
def therapists(request: AuthedHttpRequest) -> list:
    require_scheduling(request.user)  # names, experience and training: the front desk books with them too
    return selectors.therapists_for_clinic(clinic_id_of(request.user))


class PlanChangesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    modality: Literal["swedish", "mld"] | None = None
    scope: Literal["hand_and_foot", "full_body", "focal"] | None = None
    pressure: Literal["light", "moderate", "firm"] | None = None
    session_minutes: int | None = Field(None, ge=15, le=120)
    sessions_per_week: int | None = Field(None, ge=1, le=7)
    course_weeks: int | None = Field(None, ge=1, le=52)
    reevaluation_weeks: list[int] | None = None
    avoid_areas: list[str] | None = None
    precautions: list[str] | None = None
    therapist_id: int | None = None
    start_date: ScheduleDate | None = None


class PlanUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    changes: PlanChangesIn
    reason: str = Field(min_length=1, max_length=2000)


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class PlanChangeOut(Schema):
    field: str
    old: Any
    new: Any
    reason: str
    by: str | None
    at: str


class PlanOut(Schema):
    id: int
    client_id: int
    status: str
    summary: str
    modality: str
    scope: str
    pressure: str
    session_minutes: int
    sessions_per_week: int
    course_weeks: int
    reevaluation_weeks: list[int]
    outcome_measures: list[dict[str, Any]] = Field(description='[{"instrument": ..., "when": ...}]')
    avoid_areas: list[str]
    precautions: list[str]
    required_min_years: int
    required_certifications: list[str]
    rationale: list[str]
    therapist_id: int | None
    therapist: str | None
    start_date: str | None
    activated_at: str | None
    changes: list[PlanChangeOut]


class PlanProposalOut(PlanOut):
    therapist_ranking: list[dict[str, Any]] = Field(
        description="Each therapist: eligible or not, experience, certifications and the reasons."
    )


def plan_as_dict(plan: CarePlan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "client_id": plan.client_id,
        "status": plan.status,
        "summary": str(plan),
        "modality": plan.modality,
        "scope": plan.scope,
        "pressure": plan.pressure,
        "session_minutes": plan.session_minutes,
        "sessions_per_week": plan.sessions_per_week,
        "course_weeks": plan.course_weeks,
        "reevaluation_weeks": plan.reevaluation_weeks,
        "outcome_measures": plan.outcome_measures,
        "avoid_areas": plan.avoid_areas,
        "precautions": plan.precautions,
        "required_min_years": plan.required_min_years,
        "required_certifications": plan.required_certifications,
        "rationale": selectors.plan_rationale(plan),
        "therapist_id": plan.therapist_id,
        "therapist": plan.therapist.display_name if plan.therapist else None,
        "start_date": plan.start_date.isoformat() if plan.start_date else None,
        "activated_at": plan.activated_at.isoformat() if plan.activated_at else None,
        "changes": [
            {
                "field": c.field,
                "old": c.old_value,
                "new": c.new_value,
                "reason": c.reason,
                "by": c.changed_by.username if c.changed_by else None,
                "at": c.changed_at.isoformat(),
            }
            for c in plan.changes.select_related("changed_by")
        ],
    }


def _plan(request: AuthedHttpRequest, client_id: int, plan_id: int) -> CarePlan:
    client = client_get_for_user(request.user, client_id)
    plan = selectors.plan_get_for_client(client, plan_id)
    if plan is None:
        raise Http404("No such plan.")
    return plan


@router.get(
    "/clients/{client_id}/plans",
    response={200: list[PlanOut], **error_responses(404)},
    summary="A client's plans",
)
def list_plans(request: AuthedHttpRequest, client_id: int) -> list:
    client = client_get_for_user(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Plans viewed (API)")
    return [plan_as_dict(p) for p in selectors.plans_for_client(client)]


@router.post(
    "/clients/{client_id}/plans",
    response={201: PlanProposalOut, **error_responses(404)},
    summary="Propose a plan (runs the safety check)",
)
def propose_plan(request: AuthedHttpRequest, client_id: int) -> Status:
    client = client_get_for_user(request.user, client_id)
    plan, proposal = services.plan_propose(actor=request.user, client=client)
    return Status(201, plan_as_dict(plan) | {"therapist_ranking": proposal["therapist_ranking"]})


@router.get(
    "/clients/{client_id}/plans/{plan_id}",
    response={200: PlanOut, **error_responses(404)},
    summary="One plan",
)
def get_plan(request: AuthedHttpRequest, client_id: int, plan_id: int) -> dict:
    plan = _plan(request, client_id, plan_id)
    audit_view(request.user, plan, "Plan viewed (API)")
    return plan_as_dict(plan)


@router.patch(
    "/clients/{client_id}/plans/{plan_id}",
    response={200: PlanOut, **error_responses(404, *BODY)},
    summary="Change a plan (say why)",
)
def update_plan(request: AuthedHttpRequest, client_id: int, plan_id: int, payload: PlanUpdateIn) -> dict:
    plan = _plan(request, client_id, plan_id)
    try:
        plan = services.plan_update(
            actor=request.user,
            plan=plan,
            changes=payload.changes.model_dump(exclude_unset=True),
            reason=payload.reason,
        )
    except FieldErrors as exc:
        # Name the fields as the request does: the parts of the plan live under "changes".
        raise FieldErrors(
            {(f"changes.{k}" if k in services.EDITABLE_FIELDS else k): v for k, v in exc.errors.items()}
        ) from None
    return plan_as_dict(plan)


@router.post(
    "/clients/{client_id}/plans/{plan_id}/activate",
    response={200: PlanOut, **error_responses(404, 409)},
    summary="Activate a plan",
)
def activate_plan(request: AuthedHttpRequest, client_id: int, plan_id: int) -> dict:
    plan = services.plan_activate(actor=request.user, plan=_plan(request, client_id, plan_id))
    return plan_as_dict(plan)


@router.post(
    "/clients/{client_id}/plans/{plan_id}/cancel",
    response={200: PlanOut, **error_responses(404, *BODY)},
    summary="Cancel a plan",
)
def cancel_plan(request: AuthedHttpRequest, client_id: int, plan_id: int, payload: CancelIn) -> dict:
    plan = services.plan_cancel(
        actor=request.user, plan=_plan(request, client_id, plan_id), reason=payload.reason
    )
    return plan_as_dict(plan)
