"""GET /api/v1/audit: the clinic admins' search of the audit trail (the same filters as the /audit/ page)."""

import datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from nervecare.core import audit
from nervecare.core.api_support import error_responses
from nervecare.core.bounds import AuditDate
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic
from nervecare.core.permissions import clinic_id_of
from nervecare.core.request_types import AuthedHttpRequest

router = Router(tags=["audit"])


class AuditQuery(Schema):
    actor: str = Field("", max_length=150, description="username")
    action: Literal["", "view", "create", "update", "delete"] = ""
    object_type: str = Field("", max_length=100, description="e.g. clients.client")
    object_id: str = Field("", max_length=64)
    client: int | None = Field(None, ge=1, description="the client's id")
    date_from: AuditDate | None = Field(None, description="first day (the clinic's time zone)")
    date_to: AuditDate | None = Field(None, description="last day, inclusive")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class AuditEventOut(Schema):
    id: int
    at: datetime.datetime
    actor_id: int | None
    actor_username: str
    action: str
    object_type: str
    object_id: str
    client_id: int | None
    summary: str
    changes: dict[str, Any]
    ip_address: str | None
    chain: int
    seq: int | None = Field(description="the event's place in its chain; null while it waits for its seal")
    prev_hash: str
    hash: str


class AuditPage(Schema):
    count: int
    limit: int
    offset: int
    results: list[AuditEventOut]


@router.get(
    "/audit", response={200: AuditPage, **error_responses()}, summary="Search the audit trail (clinic admins)"
)
def audit_search(request: AuthedHttpRequest, q: Query[AuditQuery]) -> dict[str, Any]:
    audit.require_audit_admin(request.user)
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise FieldErrors({"date_to": "The end date is before the start date."})
    filters = audit.SearchFilters(
        actor=q.actor,
        action=q.action,
        object_type=q.object_type,
        object_id=q.object_id,
        client=q.client,
        date_from=q.date_from,
        date_to=q.date_to,
    )
    clinic = Clinic.objects.get(pk=clinic_id_of(request.user))
    audit.audit_trail_read(actor=request.user, summary="Audit trail searched (API)", filters=filters)
    found = audit.search(clinic_id=clinic.id, tz_name=clinic.timezone, filters=filters)
    return {
        "count": found.count(),
        "limit": q.limit,
        "offset": q.offset,
        "results": list(found[q.offset : q.offset + q.limit]),
    }
