"""API routes for single-client trials: propose one, read it with its result, record the client's consent
(on paper or witnessed verbally; the client agrees electronically in the portal), the client's withdrawal, and
the therapist's end (a pause refused included). Who may: the same rule as the client's outcomes
(clients_visible_to); every read is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Router, Schema, Status

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_view
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.trials import selectors, services
from nervecare.trials.consent import consent_text
from nervecare.trials.models import Trial

router = Router(tags=["trials"])


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


class TrialIn(Schema):
    comparison: Literal["sessions_vs_pause", "swedish_vs_lymphatic"]
    measure: Literal["pain", "numbness", "tingling"]
    phases: Literal[4, 6] = 4
    weeks_total: int = Field(16, ge=1, le=52)
    min_phase_weeks: int = Field(2, ge=1, le=52)
    rating_every_days: Literal[1, 2] = 1
    start_date: dt.date
    randomise_first: bool = False


class TrialOut(Schema):
    """A trial, its state and, once completed, its result (read `caveats`: one person, not blinded)."""

    id: int
    client_id: int
    comparison: str
    measure: str
    phases: int
    weeks_total: int
    min_phase_weeks: int
    rating_every_days: int
    randomise_first: bool
    start_date: str
    end_date: str
    status: str
    state: str
    schedule: dict[str, Any]
    n_schedules: int
    rules_version: str
    stability: dict[str, Any]
    consent: dict[str, Any] | None
    events: list[dict[str, Any]]
    result: dict[str, Any] = Field(
        description="phases with their ratings and means; once completed, `test` (randomisation test: "
        "statistic, p_value, n_schedules, method), `effect` (AR(1) regression estimate with its 95% CI and "
        "method), `plain` (the client's words), `summary`, `caveats`."
    )


class ConsentTextOut(Schema):
    version: str
    title: str
    body: str


class ConsentIn(Schema):
    text_version: str = Field(max_length=20)
    method: Literal["written", "verbal"]


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


class EndIn(Schema):
    reason: str = Field(max_length=500)
    pause_refused: bool = False


def _out(trial: Trial) -> dict[str, Any]:
    trial.refresh_from_db()
    consent = trial.consents.first()
    result = selectors.trial_result(trial)
    return _json(
        {
            "id": trial.pk,
            "client_id": trial.client_id,
            "comparison": trial.comparison,
            "measure": trial.measure,
            "phases": trial.phases,
            "weeks_total": trial.weeks_total,
            "min_phase_weeks": trial.min_phase_weeks,
            "rating_every_days": trial.rating_every_days,
            "randomise_first": trial.randomise_first,
            "start_date": trial.start_date,
            "end_date": trial.end_date,
            "status": trial.status,
            "state": result["state"],
            "schedule": trial.schedule,
            "n_schedules": trial.n_schedules,
            "rules_version": trial.rules_version,
            "stability": trial.stability,
            "consent": (
                {
                    "text_version": consent.text_version,
                    "method": consent.method,
                    "given_at": consent.given_at,
                    "withdrawn_at": consent.withdrawn_at,
                }
                if consent
                else None
            ),
            "events": [
                {"kind": e.kind, "at": e.at, "by": e.by.username if e.by else None, "reason": e.reason}
                for e in trial.events.select_related("by")
            ],
            "result": result,
        }
    )


def _trial(request: AuthedHttpRequest, client_id: int, trial_id: int) -> Trial:
    trial = selectors.trial_get_for_user(request.user, client_id, trial_id)
    services.trial_safety_check(client=trial.client)
    trial.refresh_from_db()
    return trial


@router.get(
    "/clients/{client_id}/trials",
    response={200: list[TrialOut], **error_responses(404)},
    summary="A client's single-client trials",
)
def trials_list(request: AuthedHttpRequest, client_id: int) -> Any:
    client = selectors.client_for_trials(request.user, client_id)
    services.trial_safety_check(client=client)
    audit_record(actor=request.user, action="view", obj=client, summary="Single-client trials viewed (API)")
    return [_out(t) for t in selectors.client_trials(client)]


@router.post(
    "/clients/{client_id}/trials",
    response={201: TrialOut, **error_responses(404, *BODY)},
    summary="Propose a single-client trial",
)
def trial_create(request: AuthedHttpRequest, client_id: int, payload: TrialIn) -> Status:
    """Checks the design (data/trial_rules.yaml), that the client's diary is stable and no stop flag is open,
    and draws the schedule at random among the admissible ones. The client agrees in the portal."""
    client = selectors.client_for_trials(request.user, client_id)
    data = payload.dict()
    trial = services.trial_propose(
        actor=request.user, client=client, comparison_code=data.pop("comparison"), **data
    )
    return Status(201, _out(trial))


@router.get(
    "/clients/{client_id}/trials/{trial_id}",
    response={200: TrialOut, **error_responses(404)},
    summary="One trial with its result",
)
def trial_get(request: AuthedHttpRequest, client_id: int, trial_id: int) -> Any:
    trial = _trial(request, client_id, trial_id)
    audit_record(actor=request.user, action="view", obj=trial, summary="Single-client trial viewed (API)")
    return _out(trial)


@router.get(
    "/clients/{client_id}/trials/{trial_id}/consent-text",
    response={200: ConsentTextOut, **error_responses(404)},
    summary="The words the client agrees to, with their version",
)
def trial_consent_text(request: AuthedHttpRequest, client_id: int, trial_id: int) -> Any:
    trial = selectors.trial_get_for_user(request.user, client_id, trial_id)
    audit_view(request.user, trial, "Trial consent text viewed (API)")
    return consent_text(trial)


@router.post(
    "/clients/{client_id}/trials/{trial_id}/consent",
    response={201: TrialOut, **error_responses(404, *BODY)},
    summary="Record the client's agreement (on paper or verbal, witnessed)",
)
def trial_consent_record(
    request: AuthedHttpRequest, client_id: int, trial_id: int, payload: ConsentIn
) -> Status:
    trial = _trial(request, client_id, trial_id)
    services.trial_consent(
        actor=request.user, trial=trial, text_version=payload.text_version, method=payload.method
    )
    return Status(201, _out(trial))


@router.post(
    "/clients/{client_id}/trials/{trial_id}/withdraw",
    response={200: TrialOut, **error_responses(404, *BODY)},
    summary="Record the client's withdrawal",
)
def trial_withdraw(request: AuthedHttpRequest, client_id: int, trial_id: int, payload: WithdrawIn) -> Any:
    trial = _trial(request, client_id, trial_id)
    services.trial_withdraw(actor=request.user, trial=trial, reason=payload.reason)
    return _out(trial)


@router.post(
    "/clients/{client_id}/trials/{trial_id}/end",
    response={200: TrialOut, **error_responses(404, *BODY)},
    summary="End a trial, or refuse its pause (the therapist; a reason is required)",
)
def trial_end(request: AuthedHttpRequest, client_id: int, trial_id: int, payload: EndIn) -> Any:
    trial = _trial(request, client_id, trial_id)
    services.trial_stop(
        actor=request.user, trial=trial, reason=payload.reason, pause_refused=payload.pause_refused
    )
    return _out(trial)
