"""The therapist's list between sessions in the API (issue 18 points 6 and 7): the same rows as the page
(web/between.py), the user's own visible clients only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from nervecare.clients.models import Client
from nervecare.core.api_support import error_responses
from nervecare.core.audit import audit_list
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.web.between import between_sessions_list, list_row_dict

router = Router(tags=["daily foot check"])


class FootCheckState(Schema):
    red_flag_reports: list[int] = Field(description="Ids of red-flag reports not yet reviewed")
    last_checked_on: dt.date | None
    days_without_a_check: int | None
    stopped: bool


class WeekOut(Schema):
    week_start: str
    expected: int
    done: int
    share: float | None


class CheckOffState(Schema):
    last_check_off_on: dt.date | None
    days_without_a_check_off: int | None
    stopped: bool
    adherence_percent: int | None = Field(description="Item-days done of those due, last 4 weeks")
    adherence_band: str
    weeks: list[WeekOut]


class BetweenRowOut(Schema):
    client_id: int
    name: str
    needs_look: bool
    foot_check: FootCheckState | None = Field(description="None: the client does not do the daily foot check")
    check_offs: CheckOffState | None = Field(description="None: no active home programme")


class BetweenQuery(Schema):
    all: bool = Field(
        False, description="Every client with a foot check or a home programme, not only who needs a look"
    )


@router.get(
    "/between-sessions",
    response={200: list[BetweenRowOut], **error_responses()},
    summary="The therapist's list: red-flag foot reports, who stopped logging, adherence (own clients; audited)",
)
def between_sessions(request: AuthedHttpRequest, query: Query[BetweenQuery]) -> list[dict[str, Any]]:
    rows = between_sessions_list(request.user, everyone=query.all)
    audit_list(request.user, Client, [r.client.pk for r in rows], "Between-sessions list viewed")
    return [list_row_dict(r) for r in rows]
