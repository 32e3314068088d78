"""The set-up API: services, rooms, therapists' time off, closures and public holidays. See
nervecare/setup/api/__init__.py for who may use it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema, Status
from pydantic import Field

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import services as scheduling_services
from nervecare.scheduling.models import Closure, Room, Service
from nervecare.setup import selectors, services
from nervecare.setup.api._common import Strict, router

# --- services and rooms ------------------------------------------------------------------------------------


class SetupServiceOut(Schema):
    id: int
    code: str
    name: str
    modality: str
    minutes: int
    buffer_minutes: int
    required_certifications: list[str]
    description: str
    bookable_online: bool
    active: bool


class ServiceIn(Strict):
    name: str = Field(max_length=100)
    code: str = Field("", max_length=40, description="made from the name when empty")
    modality: str = Field("swedish", max_length=20)
    minutes: int = Field(ge=10, le=240)
    buffer_minutes: int = Field(15, ge=0, le=120)
    required_certifications: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field("", max_length=2000)
    bookable_online: bool = False
    active: bool = True


class ServicePatch(Strict):
    name: str | None = Field(None, max_length=100)
    modality: str | None = Field(None, max_length=20)
    minutes: int | None = Field(None, ge=10, le=240)
    buffer_minutes: int | None = Field(None, ge=0, le=120)
    required_certifications: list[str] | None = Field(None, max_length=20)
    description: str | None = Field(None, max_length=2000)
    bookable_online: bool | None = None
    active: bool | None = None


def _service_out(s: Service) -> dict[str, Any]:
    return {f: getattr(s, f) for f in SetupServiceOut.model_fields}


@router.get(
    "/setup/services",
    response={200: list[SetupServiceOut], **error_responses()},
    summary="Every service, retired ones too",
)
def setup_list_services(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    return [_service_out(s) for s in selectors.services_for_admin(request.user)]


@router.post(
    "/setup/services", response={201: SetupServiceOut, **error_responses(*BODY)}, summary="Add a service"
)
def create_service(request: AuthedHttpRequest, payload: ServiceIn) -> Status:
    return Status(201, _service_out(services.service_save(actor=request.user, data=payload.model_dump())))


@router.patch(
    "/setup/services/{service_id}",
    response={200: SetupServiceOut, **error_responses(404, *BODY)},
    summary="Change a service",
)
def patch_service(request: AuthedHttpRequest, service_id: int, payload: ServicePatch) -> dict[str, Any]:
    service = selectors.service_get_for_admin(request.user, service_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _service_out(services.service_save(actor=request.user, data=data, service=service))


class SetupRoomOut(Schema):
    id: int
    name: str
    active: bool


class RoomIn(Strict):
    name: str = Field(max_length=100)
    active: bool = True


class RoomPatch(Strict):
    name: str | None = Field(None, max_length=100)
    active: bool | None = None


@router.get(
    "/setup/rooms",
    response={200: list[SetupRoomOut], **error_responses()},
    summary="Every room, unused ones too",
)
def setup_list_rooms(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    return [{"id": r.pk, "name": r.name, "active": r.active} for r in selectors.rooms_for_admin(request.user)]


@router.post("/setup/rooms", response={201: SetupRoomOut, **error_responses(*BODY)}, summary="Add a room")
def create_room(request: AuthedHttpRequest, payload: RoomIn) -> Status:
    r = services.room_save(actor=request.user, data=payload.model_dump())
    return Status(201, {"id": r.pk, "name": r.name, "active": r.active})


@router.patch(
    "/setup/rooms/{room_id}",
    response={200: SetupRoomOut, **error_responses(404, *BODY)},
    summary="Change a room",
)
def patch_room(request: AuthedHttpRequest, room_id: int, payload: RoomPatch) -> dict[str, Any]:
    room: Room = selectors.room_get_for_admin(request.user, room_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    r = services.room_save(actor=request.user, data=data, room=room)
    return {"id": r.pk, "name": r.name, "active": r.active}


# --- time off ------------------------------------------------------------------------------------------------


class TimeOffOut(Schema):
    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    note: str


@router.get(
    "/setup/therapists/{therapist_id}/time-off",
    response={200: list[TimeOffOut], **error_responses(404)},
    summary="A therapist's coming time off and extra hours",
)
def list_time_off(request: AuthedHttpRequest, therapist_id: int) -> list[dict[str, Any]]:
    therapist = selectors.therapist_get_for_admin(request.user, therapist_id)
    return [
        {"id": e.pk, "kind": e.kind, "starts_at": e.starts_at, "ends_at": e.ends_at, "note": e.note}
        for e in selectors.time_off_for_therapist(therapist)
    ]


@router.delete(
    "/setup/time-off/{exception_id}",
    response={204: None, **error_responses(404)},
    summary="Remove time off or extra hours",
)
def delete_time_off(request: AuthedHttpRequest, exception_id: int) -> Status:
    exception = selectors.time_off_get_for_admin(request.user, exception_id)
    scheduling_services.exception_remove(actor=request.user, exception=exception)
    return Status(204, None)


# --- closures and holidays -------------------------------------------------------------------------------


class ClosureOut(Schema):
    id: int
    starts_on: date
    ends_on: date
    name: str
    source: Literal["manual", "holiday"]


class ClosureIn(Strict):
    starts_on: date
    ends_on: date | None = Field(None, description="the last closed day (inclusive); none: one day")
    name: str = Field(max_length=200)


class HolidaysIn(Strict):
    year: int = Field(ge=2000, le=2100)


class HolidaysOut(Schema):
    year: int
    added: int
    already_listed: int
    holidays: int


def _closure_out(c: Closure) -> dict[str, Any]:
    return {"id": c.pk, "starts_on": c.starts_on, "ends_on": c.ends_on, "name": c.name, "source": c.source}


@router.get(
    "/setup/closures", response={200: list[ClosureOut], **error_responses()}, summary="The clinic's closures"
)
def list_closures(request: AuthedHttpRequest, year: int | None = None) -> list[dict[str, Any]]:
    if year is not None and not 2000 <= year <= 2100:
        raise FieldErrors({"year": "give a year from 2000 to 2100"})
    return [_closure_out(c) for c in selectors.closures_for_admin(request.user, year=year)]


@router.post(
    "/setup/closures",
    response={201: ClosureOut, **error_responses(*BODY)},
    summary="Close the clinic on a day or days",
)
def create_closure(request: AuthedHttpRequest, payload: ClosureIn) -> Status:
    return Status(201, _closure_out(services.closure_add(actor=request.user, **payload.model_dump())))


@router.delete(
    "/setup/closures/{closure_id}", response={204: None, **error_responses(404)}, summary="Remove a closure"
)
def delete_closure(request: AuthedHttpRequest, closure_id: int) -> Status:
    services.closure_remove(
        actor=request.user, closure=selectors.closure_get_for_admin(request.user, closure_id)
    )
    return Status(204, None)


@router.post(
    "/setup/holidays/import",
    response={200: HolidaysOut, **error_responses(*BODY)},
    summary="Import a year's public holidays for the clinic's country and region (idempotent)",
)
def import_holidays(request: AuthedHttpRequest, payload: HolidaysIn) -> dict[str, Any]:
    return services.holidays_import(actor=request.user, year=payload.year)
