"""API routes for outcomes and reports: one client's outcomes (JSON, CSV, PDF), the clinic's cohort
outcomes (JSON, CSV), re-evaluation decisions and clinic report jobs. Every read of clinical data is audited."""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from ninja import Field, Query, Router, Schema, Status

from nervecare.core.api_support import BODY, download, error_responses
from nervecare.core.lazy import lazy_module
from nervecare.core.models import Clinic
from nervecare.core.pages import csv_download, pdf_download
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.outcomes import exports, selectors, services
from nervecare.outcomes.analysis import client_outcomes
from nervecare.outcomes.cohort import CohortFilters, clinic_outcomes
from nervecare.outcomes.models import ReevaluationDecision, ReportJob
from nervecare.outcomes.stats import Estimate, Trend
from nervecare.screening.selectors import open_flags

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

router = Router(tags=["outcomes"])

Measure = Literal["pain", "numbness", "tingling"]


_PLAIN = frozenset({str, int, float, bool, type(None)})
_ESTIMATE_FIELDS = tuple(f.name for f in dataclasses.fields(Estimate))


def to_json(value: Any) -> Any:
    """Plain JSON from the analysis' data (dates as ISO 8601, intervals as objects)."""
    if type(value) in _PLAIN:  # most of the values: returned as they are (checked first, for speed)
        return value
    if type(value) is Estimate:  # Estimate.as_dict() without dataclasses.asdict's deep copy
        return {name: to_json(getattr(value, name)) for name in _ESTIMATE_FIELDS}
    if isinstance(value, Estimate | Trend):
        return to_json(value.as_dict())
    if isinstance(value, ReevaluationDecision):
        return {
            "id": value.id,
            "decision": value.decision,
            "action": value.action,
            "suggested": value.suggested,
            "reason": value.reason,
            "decided_by": value.decided_by.username if value.decided_by else None,
            "decided_at": value.decided_at.isoformat(),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Decimal | np.floating):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


class ClientOutcomesOut(Schema):
    """One client's outcome analysis (observational: read `caveat`). Dates and times are ISO 8601 strings."""

    client: dict[str, Any]
    conditions: list[dict[str, Any]]
    condition: str
    plan: dict[str, Any] | None
    generated_at: str
    rules_version: str
    course_start: str | None
    current_week: int | None
    measures: dict[str, Any] = Field(description="pain, numbness, tingling: trajectory, effects, responder")
    primary_measure: str | None
    pgic: dict[str, Any] | None
    instruments: list[dict[str, Any]]
    soreness: dict[str, Any] | None
    attendance: dict[str, Any]
    adverse_events: list[dict[str, Any]]
    reevaluations: list[dict[str, Any]]
    next_reevaluation: dict[str, Any] | None
    thresholds: dict[str, Any]
    caveat: str
    summary: list[Any]


class DecisionOut(Schema):
    id: int
    decision: str
    action: str
    suggested: str
    reason: str
    decided_by: str | None
    decided_at: str


class ClinicOutcomesOut(Schema):
    """The clinic's cohort outcomes (observational, no control group: read `caveat` and `rests_on`)."""

    clinic: dict[str, Any]
    filters: dict[str, Any]
    measure: str
    engine: str
    generated_at: str
    rules_version: str
    overall: dict[str, Any]
    groups: dict[str, Any]
    dimensions: dict[str, str]
    caveat: str
    rests_on: str
    thresholds: dict[str, Any]
    immediate: dict[str, Any] = Field(
        description="The within-session change (after − before) pooled across clients: one value per client "
        "(`per_client`) and each client's first session (`first_session`), each a mean with a 95% t interval; "
        "`clients`, `sessions`, `method`, `caveat`."
    )
    compute_seconds: float
    model: dict[str, Any] | None = Field(
        None, description="The mixed-effects model; absent with model=false."
    )


class ReportJobOut(Schema):
    id: int
    kind: str
    params: dict[str, Any]
    status: str
    progress: int = Field(description="0-100")
    message: str
    error: str
    created_at: str | None
    finished_at: str | None


_CSV = download("text/csv")
_PDF = download("application/pdf")


def _client_result(request: AuthedHttpRequest, client_id: int, summary: str) -> tuple:
    client = selectors.client_for_outcomes(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary=summary)
    return client, client_outcomes(selectors.client_data(client, reader=request.user))


@router.get(
    "/clients/{client_id}/outcomes",
    response={200: ClientOutcomesOut, **error_responses(404)},
    summary="One client's outcomes",
)
def client_outcomes_get(request: AuthedHttpRequest, client_id: int) -> Any:
    """Trajectories, immediate and lasting effect, change from baseline with intervals, trend, responder
    status, and the suggestion at each re-evaluation point. Observational data: read `caveat`."""
    _client, result = _client_result(request, client_id, "Outcomes viewed (API)")
    return to_json(result)


@router.get(
    "/clients/{client_id}/outcomes.csv",
    response={200: None, **error_responses(404)},
    openapi_extra=_CSV,
    summary="One client's outcome numbers as CSV",
)
def client_outcomes_csv(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    client, result = _client_result(request, client_id, "Outcomes exported (API, CSV)")
    return csv_download(exports.client_csv(result), filename=f"outcomes-client-{client.id}.csv")


@router.get(
    "/clients/{client_id}/report.pdf",
    response={200: None, **error_responses(404)},
    openapi_extra=_PDF,
    summary="A client's progress report (PDF)",
)
def client_report(
    request: AuthedHttpRequest, client_id: int, audience: Literal["client", "clinician"] = "client"
) -> HttpResponse:
    """Built on request (a few hundred milliseconds). `audience=clinician` adds the methods and the basis of
    each suggestion."""
    from nervecare.outcomes.reports.client import client_report_pdf
    from nervecare.outcomes.reports.pdf import report_filename

    client, result = _client_result(request, client_id, f"Progress report (API, PDF, for the {audience})")
    pdf = client_report_pdf(
        result, audience=audience, flags=open_flags(client), clinic_name=client.clinic.name
    )
    return pdf_download(pdf, filename=report_filename(f"progress-{client.id}-{audience}", timezone.now()))


class DecisionIn(Schema):
    plan_id: int
    week: int = Field(ge=1, le=52)
    decision: Literal["accepted", "overruled"]
    action: Literal["continue", "adjust", "refer"] | None = None
    reason: str = Field("", max_length=2000)


@router.post(
    "/clients/{client_id}/outcomes/decisions",
    response={201: DecisionOut, **error_responses(404, *BODY)},
    summary="Accept or overrule a suggestion",
)
def decision_create(request: AuthedHttpRequest, client_id: int, payload: DecisionIn) -> Status:
    client = selectors.client_for_outcomes(request.user, client_id)
    record = services.reevaluation_decide(actor=request.user, client=client, **payload.dict())
    return Status(201, to_json(record))


class ClinicQuery(Schema):
    measure: Measure = "pain"
    type: str = ""
    cause: str = ""
    modality: str = ""
    therapist_id: int | None = None
    model: bool = True


def _clinic(request: AuthedHttpRequest, q: ClinicQuery, summary: str, *, with_model: bool) -> dict[str, Any]:
    require_clinical(request.user)
    clinic = Clinic.objects.get(pk=clinic_id_of(request.user))
    filters = CohortFilters(
        measure=q.measure, type=q.type, cause=q.cause, modality=q.modality, therapist_id=q.therapist_id
    )
    result = clinic_outcomes(clinic, filters, with_model=with_model)
    audit_record(actor=request.user, action="view", obj=clinic, summary=summary)
    return result


@router.get(
    "/outcomes/clinic",
    response={200: ClinicOutcomesOut, **error_responses()},
    exclude_unset=True,  # no "model" key with model=false
    summary="The clinic's cohort outcomes",
)
def clinic_outcomes_get(request: AuthedHttpRequest, q: Query[ClinicQuery]) -> Any:
    """Responder rates (Wilson), mean changes (t), attendance, drop-out and adverse events by neuropathy type,
    cause, modality, therapist and sessions attended, and a mixed-effects model (`model=false` to skip it).
    Observational data without a control group: read `caveat` and `rests_on`."""
    result = _clinic(request, q, "Clinic outcomes viewed (API)", with_model=q.model)
    result = {k: v for k, v in result.items() if k != "clients"}
    return to_json(result)


@router.get(
    "/outcomes/clinic.csv",
    response={200: None, **error_responses()},
    openapi_extra=_CSV,
    summary="The clinic's outcome numbers as CSV",
)
def clinic_outcomes_csv(
    request: AuthedHttpRequest, q: Query[ClinicQuery], level: Literal["groups", "clients"] = "groups"
) -> HttpResponse:
    result = _clinic(request, q, f"Clinic outcomes exported (API, CSV, {level})", with_model=False)
    body = (
        exports.clinic_clients_csv(selectors.cohort_clients_visible(request.user, result))
        if level == "clients"
        else exports.clinic_csv(result)
    )
    return csv_download(body, filename=f"outcomes-clinic-{level}.csv")


class ReportIn(Schema):
    measure: Measure = "pain"
    type: str = ""
    cause: str = ""
    modality: str = ""
    therapist_id: int | None = None


@router.post(
    "/outcomes/reports",
    response={202: ReportJobOut, **error_responses(*BODY)},
    summary="Queue a clinic outcome report (PDF)",
)
def report_create(request: AuthedHttpRequest, payload: ReportIn) -> Status:
    """The report is built by the job queue; poll `GET /outcomes/reports/{id}` for its progress."""
    params = {k: v for k, v in payload.dict().items() if v not in ("", None)}
    job = services.report_job_create(actor=request.user, params=params)
    job.refresh_from_db()
    return Status(202, job.as_dict())


@router.get(
    "/outcomes/reports/{job_id}",
    response={200: ReportJobOut, **error_responses(404)},
    summary="A clinic report job: status and progress",
)
def report_status(request: AuthedHttpRequest, job_id: int) -> Any:
    return selectors.report_job_get_for_user(request.user, job_id).as_dict()


@router.get(
    "/outcomes/reports/{job_id}/report.pdf",
    response={200: None, **error_responses(404, 409)},
    openapi_extra=_PDF,
    summary="A finished clinic report (PDF)",
)
def report_download(request: AuthedHttpRequest, job_id: int) -> HttpResponse:
    from nervecare.outcomes.reports.clinic import clinic_report_download

    job = selectors.report_job_get_for_user(request.user, job_id)
    if job.status != ReportJob.Status.DONE or not job.pdf:
        from ninja.errors import HttpError

        raise HttpError(409, f"The report is not ready yet ({job.status}, {job.progress}%).")
    audit_record(
        actor=request.user,
        action="view",
        obj=job,
        summary="Clinic outcome report downloaded (API)",
    )
    return clinic_report_download(job)
