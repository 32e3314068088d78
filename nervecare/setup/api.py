"""The set-up API (/api/v1/setup/...): the same operations as the set-up pages, through the same services.

The clinic's admins only, their own clinic only (another clinic's object answers 404). Bearer tokens may read
and change the clinic's configuration with the `setup:read` / `setup:write` scopes; inviting, deactivating and
resetting a colleague's second factor are closed to tokens (an admin signed in with a second factor does it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.errors import FieldErrors
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling import services as scheduling_services
from nervecare.scheduling.models import Closure, Room, Service
from nervecare.screening.models import SafetyThresholds
from nervecare.screening.selectors import thresholds_for
from nervecare.setup import selectors, services

router = Router(tags=["setup"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


# --- clinic -----------------------------------------------------------------------------------------------


class ClinicOut(Schema):
    id: int
    name: str
    slug: str
    address: str
    phone: str
    email: str
    timezone: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    subdivision: str = Field(description="the holiday calendar's region code in the country (e.g. ENG)")
    currency: str = Field(description="ISO 4217")
    min_notice_hours: int
    booking_horizon_days: int
    cancellation_notice_hours: int
    online_booking_enabled: bool


class ClinicPatch(Strict):
    name: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=1000)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    timezone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=2)
    subdivision: str | None = Field(None, max_length=10)
    currency: str | None = Field(None, max_length=3)
    min_notice_hours: int | None = Field(None, ge=0, le=1440)
    booking_horizon_days: int | None = Field(None, ge=1, le=730)
    cancellation_notice_hours: int | None = Field(None, ge=0, le=1440)
    online_booking_enabled: bool | None = None


def _clinic_out(c: Clinic) -> dict[str, Any]:
    return {f: getattr(c, f) for f in ("id", "slug", *services.CLINIC_FIELDS)}


@router.get(
    "/setup/clinic",
    response={200: ClinicOut, **error_responses()},
    summary="The clinic's details and booking rules",
)
def get_clinic(request: AuthedHttpRequest) -> dict[str, Any]:
    return _clinic_out(selectors.clinic_for_admin(request.user))


@router.patch(
    "/setup/clinic",
    response={200: ClinicOut, **error_responses(*BODY)},
    summary="Change the clinic's details and booking rules",
)
def patch_clinic(request: AuthedHttpRequest, payload: ClinicPatch) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    # null empties a text that may be empty (address, phone, email, country, region); anything else needs a value
    # (a null yes/no or number was a 500, found by the API fuzz test).
    may_be_empty = ("address", "phone", "email", "country", "subdivision")
    required = {k: "cannot be empty" for k, v in data.items() if v is None and k not in may_be_empty}
    if required:
        raise FieldErrors(required)
    data = {k: ("" if v is None else v) for k, v in data.items()}
    return _clinic_out(services.clinic_update(actor=request.user, data=data))


# --- safety thresholds ------------------------------------------------------------------------------------


class ThresholdOut(Schema):
    field: str
    value: str = Field(description="the clinic's value (decimals as strings)")
    published_default: str
    source: str


class ThresholdsOut(Schema):
    platelets_min_per_ul: int
    platelets_policy: str
    neutrophils_min_per_ul: int
    fever_min_celsius: Decimal
    dvt_history_months: int
    sources: list[ThresholdOut]


class ThresholdsPatch(Strict):
    platelets_min_per_ul: int | None = None
    platelets_policy: Literal["modify", "stop"] | None = None
    neutrophils_min_per_ul: int | None = None
    fever_min_celsius: Decimal | None = Field(None, max_digits=4, decimal_places=1)
    dvt_history_months: int | None = None


THRESHOLD_FIELDS = (
    "platelets_min_per_ul",
    "platelets_policy",
    "neutrophils_min_per_ul",
    "fever_min_celsius",
    "dvt_history_months",
)


def _thresholds_out(row: SafetyThresholds) -> dict[str, Any]:
    sources = []
    for name in THRESHOLD_FIELDS:
        field = SafetyThresholds._meta.get_field(name)
        sources.append(
            {
                "field": name,
                "value": str(getattr(row, name)),
                "published_default": str(field.default),  # type: ignore[union-attr]
                "source": str(field.help_text),  # type: ignore[union-attr]
            }
        )
    return {**{f: getattr(row, f) for f in THRESHOLD_FIELDS}, "sources": sources}


@router.get(
    "/setup/safety-thresholds",
    response={200: ThresholdsOut, **error_responses()},
    summary="The clinic's safety thresholds, each with its published default and source",
)
def get_thresholds(request: AuthedHttpRequest) -> dict[str, Any]:
    return _thresholds_out(thresholds_for(selectors.clinic_for_admin(request.user)))


@router.patch(
    "/setup/safety-thresholds",
    response={200: ThresholdsOut, **error_responses(*BODY)},
    summary="Change safety thresholds (stricter than the published limits, never looser)",
)
def patch_thresholds(request: AuthedHttpRequest, payload: ThresholdsPatch) -> dict[str, Any]:
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _thresholds_out(services.thresholds_update(actor=request.user, data=data))


# --- staff ------------------------------------------------------------------------------------------------


class StaffOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    state: Literal["active", "invited", "deactivated"]
    therapist_id: int | None


class InviteIn(Strict):
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=150)
    last_name: str = Field("", max_length=150)
    role: Literal["admin", "therapist", "front_desk"]
    username: str = Field("", max_length=150)


class DeactivatedOut(Schema):
    staff: StaffOut
    sessions_ended: int
    api_tokens_revoked: int
    calendar_links_revoked: int
    future_appointments: int = Field(description="still booked with them: move or cancel these")


def _staff_out(u: User) -> dict[str, Any]:
    therapist = Therapist.objects.filter(user=u).values_list("id", flat=True).first()
    state = "deactivated" if not u.is_active else ("invited" if not u.has_usable_password() else "active")
    return {
        "id": u.pk,
        "username": u.username,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "email": u.email,
        "role": u.role,
        "state": state,
        "therapist_id": therapist,
    }


@router.get("/setup/staff", response={200: list[StaffOut], **error_responses()}, summary="The clinic's staff")
def list_staff(request: AuthedHttpRequest) -> list[dict[str, Any]]:
    return [_staff_out(u) for u in selectors.staff_for_admin(request.user)]


@router.post(
    "/setup/staff",
    response={201: StaffOut, **error_responses(*BODY)},
    summary="Invite a colleague (an emailed one-time link to choose a password)",
)
def invite_staff(request: AuthedHttpRequest, payload: InviteIn) -> Status:
    user = services.staff_invite(
        actor=request.user, base_url=request.build_absolute_uri("/").rstrip("/"), **payload.model_dump()
    )
    return Status(201, _staff_out(user))


@router.post(
    "/setup/staff/{staff_id}/deactivate",
    response={200: DeactivatedOut, **error_responses(404)},
    summary="Deactivate a colleague: signed out, API tokens and calendar links revoked, history kept",
)
def deactivate_staff(request: AuthedHttpRequest, staff_id: int) -> dict[str, Any]:
    person = selectors.staff_get_for_admin(request.user, staff_id)
    result = services.staff_deactivate(actor=request.user, staff=person)
    return {
        "staff": _staff_out(person),
        "sessions_ended": result["sessions"],
        "api_tokens_revoked": result["api_tokens"],
        "calendar_links_revoked": result["calendar_links"],
        "future_appointments": result["future"],
    }


@router.post(
    "/setup/staff/{staff_id}/reactivate",
    response={200: StaffOut, **error_responses(404)},
    summary="Let a deactivated colleague sign in again",
)
def reactivate_staff(request: AuthedHttpRequest, staff_id: int) -> dict[str, Any]:
    person = selectors.staff_get_for_admin(request.user, staff_id)
    return _staff_out(services.staff_reactivate(actor=request.user, staff=person))


class MfaResetOut(Schema):
    devices_removed: int


@router.post(
    "/setup/staff/{staff_id}/mfa-reset",
    response={200: MfaResetOut, **error_responses(404)},
    summary="Reset a colleague's second factor (lost phone; audited)",
)
def reset_staff_mfa(request: AuthedHttpRequest, staff_id: int) -> dict[str, Any]:
    person = selectors.staff_get_for_admin(request.user, staff_id)
    return {"devices_removed": services.staff_mfa_reset(actor=request.user, staff=person)}


# --- therapist profiles -------------------------------------------------------------------------------------


class CertificationIn(Strict):
    code: str = Field(max_length=40, description="a code of plans/data/plan_defaults.yaml's qualifications")
    expires_on: date | None = Field(None, description="the last day it is valid; none: it does not expire")


class CertificationOut(Schema):
    code: str
    label: str
    expires_on: str | None
    expired: bool = Field(description="expired: shown, but no longer counts for matching")


class TherapistProfileOut(Schema):
    id: int
    user_id: int
    display_name: str
    years_experience: int
    bio: str
    active: bool
    certifications: list[CertificationOut]


class TherapistProfilePatch(Strict):
    display_name: str | None = Field(None, max_length=200)
    years_experience: int | None = Field(None, ge=0, le=70)
    bio: str | None = Field(None, max_length=2000)
    certifications: list[CertificationIn] | None = Field(None, max_length=20)


def _profile_out(t: Therapist) -> dict[str, Any]:
    return {
        "id": t.pk,
        "user_id": t.user_id,
        "display_name": t.display_name,
        "years_experience": t.years_experience,
        "bio": t.bio,
        "active": t.active,
        "certifications": selectors.certification_rows(t),
    }


@router.get(
    "/setup/therapists/{therapist_id}",
    response={200: TherapistProfileOut, **error_responses(404)},
    summary="A therapist's profile: experience, certifications with expiry, bio",
)
def get_therapist_profile(request: AuthedHttpRequest, therapist_id: int) -> dict[str, Any]:
    return _profile_out(selectors.therapist_get_for_admin(request.user, therapist_id))


@router.patch(
    "/setup/therapists/{therapist_id}",
    response={200: TherapistProfileOut, **error_responses(404, *BODY)},
    summary="Change a therapist's profile",
)
def patch_therapist_profile(
    request: AuthedHttpRequest, therapist_id: int, payload: TherapistProfilePatch
) -> dict[str, Any]:
    therapist = selectors.therapist_get_for_admin(request.user, therapist_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _profile_out(services.therapist_profile_update(actor=request.user, therapist=therapist, data=data))


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
