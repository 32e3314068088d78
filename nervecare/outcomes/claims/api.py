"""API routes for the claims ledger: one client's and the clinic's. Same rules as the outcomes routes (the
scope outcomes:read), and every read is audited."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Router, Schema

from nervecare.core.api_support import error_responses
from nervecare.core.models import Clinic
from nervecare.core.permissions import clinic_id_of, require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.core.services import audit_record
from nervecare.outcomes import selectors
from nervecare.outcomes.claims.selectors import client_claims, clinic_claims

router = Router(tags=["outcomes"])


class EstimateOut(Schema):
    value: float | None
    low: float | None
    high: float | None
    n: int
    method: str
    note: str
    ci_text: str


class MeasureOut(Schema):
    code: str
    title: str
    plain: str
    unit: str
    better: Literal["lower", "higher"]
    kind: Literal["level", "paired", "counts", "rom"]
    applies_to: str
    status: Literal["ok", "no_data"]
    n_clients: int
    n_readings: int
    n_visits: int
    baseline: float | None
    current: float | None
    change: EstimateOut | None
    important: dict[str, Any]
    important_share: EstimateOut | None
    important_count: int | None
    cutoff: dict[str, Any] | None
    text: str
    asked: bool | None = None
    joints: list[dict[str, Any]] | None = None
    n_clients_any: int | None = Field(None, description="Clinic: clients with any reading of this measure.")
    cutoff_baseline: bool | None = Field(None, description="Client: the cut-off was met at baseline.")
    cutoff_now: bool | None = Field(None, description="Client: the cut-off is met now.")
    cutoff_baseline_count: int | None = Field(
        None, description="Clinic: clients meeting the cut-off at baseline."
    )
    cutoff_now_count: int | None = Field(None, description="Clinic: clients meeting the cut-off now.")


class ClaimOut(Schema):
    id: str
    claim: str
    plain: str
    note: str
    status: Literal["data", "no_data", "not_measurable"]
    measures: list[MeasureOut]
    not_measurable: list[dict[str, str]]
    studies: list[dict[str, str]]
    no_study: str


class LedgerOut(Schema):
    scope: Literal["client", "clinic"]
    version: str
    generated_at: dt.datetime
    design: str
    caveat: str
    plain_caveat: str
    client: dict[str, Any] | None = None
    clinic: dict[str, Any] | None = None
    clients: int | None = None
    claims: list[ClaimOut]


@router.get(
    "/clients/{client_id}/claims",
    response={200: LedgerOut, **error_responses(404)},
    summary="One client's claims ledger",
)
def client_claims_get(request: AuthedHttpRequest, client_id: int) -> Any:
    """Each claim of the article, what measures it, this client's change from baseline with its 95% CI,
    whether it is clinically important (where a threshold is published) and the published evidence."""
    client = selectors.client_for_outcomes(request.user, client_id)
    audit_record(actor=request.user, action="view", obj=client, summary="Claims ledger viewed (API)")
    return client_claims(client, reader=request.user)


@router.get(
    "/outcomes/claims",
    response={200: LedgerOut, **error_responses()},
    summary="The clinic's claims ledger",
)
def clinic_claims_get(request: AuthedHttpRequest) -> Any:
    """The same ledger over the clinic's clients: how many clients and visits each measure rests on, the mean
    change with its 95% CI, and the share with a clinically important change (Wilson 95% CI)."""
    require_clinical(request.user)
    clinic = Clinic.objects.get(pk=clinic_id_of(request.user))
    audit_record(actor=request.user, action="view", obj=clinic, summary="Clinic claims ledger viewed (API)")
    return clinic_claims(clinic)
