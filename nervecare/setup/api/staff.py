"""The set-up API: staff (list, invite, deactivate, reactivate, second-factor reset) and therapists' profiles.
See nervecare/setup/api/__init__.py for who may use it."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from ninja import Schema, Status
from pydantic import Field

from nervecare.core.api_support import BODY, error_responses
from nervecare.core.models import Therapist, User
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.setup import selectors, services
from nervecare.setup.api._common import Strict, router

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
