"""The home self-care API (issue 18 point 7): the library, programmes, check-offs and adherence.

Programmes are clinical staff's (the clients they see); check-offs and adherence are also the client's own
(a portal sign-in, or its token). Contraindicated items are refused with 422 naming the item's field and the
flag's reason, as on the pages."""

import datetime
from typing import Any

from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from nervecare.clients.selectors import client_get_for_user
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.audit import audit_list, audit_view
from nervecare.core.bounds import ScheduleDate
from nervecare.core.errors import FieldErrors
from nervecare.core.permissions import require_clinical
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.selfcare import selectors, services
from nervecare.selfcare.library import library
from nervecare.selfcare.models import CheckOff, Programme

router = Router(tags=["self-care"])


class ContraindicationOut(Schema):
    flag: str
    reason: str


class ItemOut(Schema):
    code: str
    title: str
    instructions: str
    illustration: dict[str, str]
    days_per_week: int
    times_per_day: int
    minutes: int
    frequency: str
    body_areas: list[str]
    contraindicated_by: list[ContraindicationOut]
    evidence: str
    source: str


class RefusalOut(Schema):
    flag: str
    flag_title: str
    reason: str


class ItemOptionOut(Schema):
    code: str
    title: str
    allowed: bool
    refusals: list[RefusalOut]


class ItemIn(Schema):
    model_config = ConfigDict(extra="forbid")
    item_code: str = Field(min_length=1, max_length=60)
    note: str = Field("", max_length=300)


class ProgrammeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field("", max_length=120)
    starts_on: ScheduleDate
    ends_on: ScheduleDate | None = None
    items: list[ItemIn] = Field(max_length=30)
    reason: str = Field(min_length=1, max_length=1000)


class ProgrammeChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)
    add_items: list[ItemIn] = Field(default_factory=list, max_length=30)
    remove_items: list[str] = Field(default_factory=list, max_length=30)
    starts_on: ScheduleDate | None = None
    ends_on: ScheduleDate | None = None
    clear_end: bool = False


class EndIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class ProgrammeItemOut(Schema):
    id: int
    item_code: str
    title: str
    note: str
    starts_on: str
    ends_on: str | None
    removed: bool


class ProgrammeChangeOut(Schema):
    action: str
    at: str
    by: str | None
    reason: str
    detail: dict[str, Any]


class ProgrammeOut(Schema):
    id: int
    client_id: int
    title: str
    status: str
    starts_on: str
    ends_on: str | None
    items: list[ProgrammeItemOut]
    changes: list[ProgrammeChangeOut]


class CheckOffIn(Schema):
    model_config = ConfigDict(extra="forbid")
    item_id: int = Field(ge=1, le=2**53)
    day: ScheduleDate | None = None
    rating: int | None = Field(None, ge=0, le=10)
    note: str = Field("", max_length=500)


class CheckOffOut(Schema):
    id: int
    item_id: int
    item_code: str
    day: str
    done_at: str
    rating: int | None
    note: str


class CheckOffQuery(Schema):
    model_config = ConfigDict(extra="forbid")
    first: ScheduleDate | None = None
    last: ScheduleDate | None = None


class WeekOut(Schema):
    week_start: str
    expected: int
    done: int
    share: float | None


class AdherenceQuery(Schema):
    weeks: int = Field(12, ge=1, le=104)


def programme_as_dict(p: Programme) -> dict[str, Any]:
    lib = library()
    return {
        "id": p.id,
        "client_id": p.client_id,
        "title": p.title,
        "status": p.status,
        "starts_on": p.starts_on.isoformat(),
        "ends_on": p.ends_on.isoformat() if p.ends_on else None,
        "items": [
            {
                "id": pi.id,
                "item_code": pi.item_code,
                "title": (item.title if (item := lib.get(pi.item_code)) else pi.item_code),
                "note": pi.note,
                "starts_on": pi.starts_on.isoformat(),
                "ends_on": pi.ends_on.isoformat() if pi.ends_on else None,
                "removed": pi.removed_at is not None,
            }
            for pi in p.items.all()
        ],
        "changes": [
            {
                "action": c.action,
                "at": c.at.isoformat(),
                "by": c.by.username if c.by else None,
                "reason": c.reason,
                "detail": c.detail,
            }
            for c in selectors.programme_history(p)
        ],
    }


def _check_off_dict(c: CheckOff) -> dict[str, Any]:
    return {
        "id": c.id,
        "item_id": c.item_id,
        "item_code": c.item.item_code,
        "day": c.day.isoformat(),
        "done_at": c.done_at.isoformat(),
        "rating": c.rating,
        "note": c.note,
    }


def _choices(items: list[ItemIn]) -> list[services.ItemChoice]:
    return [services.ItemChoice(code=i.item_code, note=i.note) for i in items]


@router.get(
    "/selfcare/items", response={200: list[ItemOut], **error_responses()}, summary="The self-care library"
)
def list_items(request: AuthedHttpRequest) -> list:
    require_clinical(request.user)
    return [i.as_dict() for i in library().items.values()]


@router.get(
    "/clients/{client_id}/selfcare/options",
    response={200: list[ItemOptionOut], **error_responses(404)},
    summary="What may be assigned to a client (refused items with the safety flag's reason)",
)
def item_options(request: AuthedHttpRequest, client_id: int) -> list:
    client = client_get_for_user(request.user, client_id)
    # What is refused, and why, tells the client's open safety flags: a read of their record.
    audit_view(request.user, client, "Self-care options viewed (API)")
    return [
        {
            "code": o.item.code,
            "title": o.item.title,
            "allowed": o.allowed,
            "refusals": [
                {"flag": r.flag, "flag_title": r.flag_title, "reason": r.reason} for r in o.refusals
            ],
        }
        for o in selectors.assignable_items(client)
    ]


@router.get(
    "/clients/{client_id}/selfcare/programmes",
    response={200: list[ProgrammeOut], **error_responses(404)},
    summary="A client's home programmes",
)
def list_programmes(request: AuthedHttpRequest, client_id: int) -> list:
    client = client_get_for_user(request.user, client_id)
    found = list(selectors.programmes_for_client(client))
    if found:
        audit_list(request.user, Programme, [p.pk for p in found], "Home programmes viewed (API)")
    else:  # "no programme" is about the client too
        audit_view(request.user, client, "Home programmes viewed (API): none")
    return [programme_as_dict(p) for p in found]


@router.post(
    "/clients/{client_id}/selfcare/programmes",
    response={201: ProgrammeOut, **error_responses(404, *BODY)},
    summary="Assign a home programme (contraindicated items refused with the reason)",
)
def create_programme(request: AuthedHttpRequest, client_id: int, payload: ProgrammeIn) -> Status:
    client = client_get_for_user(request.user, client_id)
    programme = services.programme_assign(
        actor=request.user,
        client=client,
        items=_choices(payload.items),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        reason=payload.reason,
        title=payload.title,
    )
    return Status(201, programme_as_dict(selectors.programme_get_for_client(client, programme.pk)))


@router.get(
    "/clients/{client_id}/selfcare/programmes/{programme_id}",
    response={200: ProgrammeOut, **error_responses(404)},
    summary="One home programme with its history",
)
def get_programme(request: AuthedHttpRequest, client_id: int, programme_id: int) -> dict:
    programme = selectors.programme_get_for_user(request.user, client_id, programme_id)
    audit_view(request.user, programme, "Home programme viewed (API)")
    return programme_as_dict(programme)


@router.patch(
    "/clients/{client_id}/selfcare/programmes/{programme_id}",
    response={200: ProgrammeOut, **error_responses(404, *BODY)},
    summary="Change a home programme (say why)",
)
def update_programme(
    request: AuthedHttpRequest, client_id: int, programme_id: int, payload: ProgrammeChangeIn
) -> dict:
    programme = selectors.programme_get_for_user(request.user, client_id, programme_id)
    services.programme_update(
        actor=request.user,
        programme=programme,
        reason=payload.reason,
        add_items=_choices(payload.add_items),
        remove_items=payload.remove_items,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        clear_end=payload.clear_end,
    )
    return programme_as_dict(selectors.programme_get_for_client(programme.client, programme.pk))


@router.post(
    "/clients/{client_id}/selfcare/programmes/{programme_id}/end",
    response={200: ProgrammeOut, **error_responses(404, *BODY)},
    summary="End a home programme (say why)",
)
def end_programme(request: AuthedHttpRequest, client_id: int, programme_id: int, payload: EndIn) -> dict:
    programme = selectors.programme_get_for_user(request.user, client_id, programme_id)
    services.programme_end(actor=request.user, programme=programme, reason=payload.reason)
    return programme_as_dict(selectors.programme_get_for_client(programme.client, programme.pk))


@router.get(
    "/clients/{client_id}/selfcare/check-offs",
    response={200: list[CheckOffOut], **error_responses(404)},
    summary="What the client did (default: the last 28 days)",
)
def list_check_offs(request: AuthedHttpRequest, client_id: int, filters: Query[CheckOffQuery]) -> list:
    client = selectors.selfcare_client_get_for_user(request.user, client_id)
    last = filters.last or selectors.client_today(client)
    first = filters.first or last - datetime.timedelta(days=27)
    if first > last:
        raise FieldErrors({"first": "must be on or before the last day"})
    if (last - first).days > 366:
        raise FieldErrors({"first": "at most a year at a time"})
    found = list(selectors.check_offs_for_client(client, first=first, last=last))
    audit_list(request.user, CheckOff, [c.pk for c in found], "Self-care check-offs viewed (API)")
    return [_check_off_dict(c) for c in found]


@router.post(
    "/clients/{client_id}/selfcare/check-offs",
    response={201: CheckOffOut, **error_responses(404, *BODY)},
    summary="Tick off an item for a day (today by default), with an optional 0-10 rating and note",
)
def create_check_off(request: AuthedHttpRequest, client_id: int, payload: CheckOffIn) -> Status:
    client = selectors.selfcare_client_get_for_user(request.user, client_id)
    done = services.check_off(
        actor=request.user,
        client=client,
        item_id=payload.item_id,
        day=payload.day,
        rating=payload.rating,
        note=payload.note,
    )
    return Status(201, _check_off_dict(done))


@router.delete(
    "/clients/{client_id}/selfcare/check-offs/{check_off_id}",
    response={204: None, **error_responses(404)},
    summary="Take back a tick",
)
def delete_check_off(request: AuthedHttpRequest, client_id: int, check_off_id: int) -> Status:
    client = selectors.selfcare_client_get_for_user(request.user, client_id)
    found = (
        selectors.check_offs_for_client(client, first=datetime.date.min, last=datetime.date.max)
        .filter(pk=check_off_id)
        .first()
    )
    if found is None:
        raise Http404("No such check-off.")
    services.check_off_undo(actor=request.user, client=client, item_id=found.item_id, day=found.day)
    return Status(204, None)


@router.get(
    "/clients/{client_id}/selfcare/adherence",
    response={200: list[WeekOut], **error_responses(404)},
    summary="Adherence per week: the share of assigned item-days done",
)
def adherence(request: AuthedHttpRequest, client_id: int, filters: Query[AdherenceQuery]) -> list:
    client = selectors.selfcare_client_get_for_user(request.user, client_id)
    audit_view(request.user, client, "Self-care adherence viewed (API)")
    return [w.as_dict() for w in selectors.adherence_by_week(client, weeks=filters.weeks)]
