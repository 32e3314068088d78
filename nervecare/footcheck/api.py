"""API routes of the daily foot check (issue 18 point 7): submit and list a client's reports, one report, its
photo, the therapist's review. The same services and permission-checked fetches as the pages: a report is
seen by whoever sees the client's record (client_get_for_user), never by the front desk. The API takes JSON
only, so a photo travels as base64 and its type is read from its bytes."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from nervecare.clients.selectors import client_get_for_user
from nervecare.core.api_support import BODY, download, error_responses
from nervecare.core.audit import audit_view
from nervecare.core.errors import FieldErrors
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.footcheck import selectors, services
from nervecare.footcheck.models import FootCheck
from nervecare.footcheck.views import photo_response
from nervecare.screening.selectors import flag_as_dict

router = Router(tags=["daily foot check"])


class FindingsIn(Schema):
    """What was found today, each yes or no (new_cut: a new cut, graze or sore)."""

    new_cut: bool = False
    blister: bool = False
    redness: bool = False
    swelling: bool = False
    warmth: bool = False
    colour_change: bool = False


class FootCheckIn(Schema):
    findings: FindingsIn = Field(FindingsIn(), description="What was found; all false: nothing new")
    foot: Literal["", "left", "right", "both"] = Field(
        "", description="Which foot (required with any finding)"
    )
    regions: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Where on the foot: body-map region codes (toes, sole, foot_dorsum, heel, ankle, foot)",
    )
    note: str = Field("", max_length=1000)
    photo_base64: str | None = Field(
        None, description="An optional photo (JPEG, PNG or WebP by its content; size limit by setting)"
    )


class ReviewIn(Schema):
    review_note: str = Field(
        ..., max_length=1000, description="What was done (who assessed the foot, and what they found)"
    )


class FootCheckOut(Schema):
    id: int
    client_id: int
    checked_on: dt.date
    reported_at: dt.datetime
    findings: dict[str, bool]
    findings_text: str
    foot: str
    regions: list[str]
    note: str
    needs_attention: bool = Field(
        description="Anything found: the client was told to contact a professional today"
    )
    red_flag: bool = Field(description="A report rule held: its stop flag stays open until the review")
    rules_fired: list[str]
    flags_raised: list[str] = Field(description="The safety rules (screening) the report raised")
    rules_version: str
    has_photo: bool
    photo_type: str | None
    reviewed_at: dt.datetime | None
    reviewed_by: str | None
    review_note: str


class FlagOut(Schema):
    id: int
    rule_id: str
    title: str
    level: str
    area: str
    reason: str
    source: str


class SubmitOut(Schema):
    foot_check: FootCheckOut
    advice: list[str] = Field(description="What the client is told, in plain words")
    flags: list[FlagOut] = Field(description="The stop flags this report opened (or keeps open)")
    therapists_alerted: int


def check_row(check: FootCheck) -> dict[str, Any]:
    photo = getattr(check, "photo", None) if _has_photo(check) else None
    return {
        "id": check.pk,
        "client_id": check.client_id,
        "checked_on": check.checked_on,
        "reported_at": check.reported_at,
        "findings": {code: bool(getattr(check, code)) for code in FindingsIn.model_fields},
        "findings_text": selectors.findings_text(check),
        "foot": check.foot,
        "regions": list(check.regions),
        "note": check.note,
        "needs_attention": check.needs_attention,
        "red_flag": check.red_flag,
        "rules_fired": list(check.rules_fired),
        "flags_raised": list(check.flags_raised),
        "rules_version": check.rules_version,
        "has_photo": photo is not None,
        "photo_type": photo.content_type if photo is not None else None,
        "reviewed_at": check.reviewed_at,
        "reviewed_by": check.reviewed_by.username if check.reviewed_by else None,
        "review_note": check.review_note,
    }


def _has_photo(check: FootCheck) -> bool:
    try:
        return check.photo is not None
    except FootCheck.photo.RelatedObjectDoesNotExist:
        return False


@router.get(
    "/clients/{client_id}/foot-checks",
    response={200: list[FootCheckOut], **error_responses(404)},
    summary="A client's daily foot checks, newest first (audited)",
)
def list_foot_checks(request: AuthedHttpRequest, client_id: int) -> list[dict[str, Any]]:
    client, checks = selectors.foot_checks_for_user(request.user, client_id)
    # The list (even an empty one: "no checks") tells about the client's feet: a read of their record.
    audit_view(request.user, client, "Foot checks viewed (API)")
    return [check_row(c) for c in checks]


@router.post(
    "/clients/{client_id}/foot-checks",
    response={201: SubmitOut, **error_responses(404, *BODY)},
    summary="Record a daily foot check (a new wound, or warmth with swelling or redness, raises the stop flag)",
)
def submit_foot_check(request: AuthedHttpRequest, client_id: int, payload: FootCheckIn) -> Status:
    client = client_get_for_user(request.user, client_id)
    photo = None
    if payload.photo_base64 is not None:
        try:
            photo = base64.b64decode(payload.photo_base64, validate=True)
        except (binascii.Error, ValueError):
            raise FieldErrors({"photo_base64": "is not valid base64"}) from None
    try:
        result = services.foot_check_submit(
            actor=request.user,
            client=client,
            findings=payload.findings.model_dump(),
            foot=payload.foot,
            regions=payload.regions,
            note=payload.note,
            photo=photo,
        )
    except FieldErrors as exc:
        # The API names the photo by the field it came in.
        raise FieldErrors(
            {("photo_base64" if k == "photo" else k): v for k, v in exc.errors.items()}
        ) from None
    return Status(
        201,
        {
            "foot_check": check_row(result.check),
            "advice": result.advice,
            "flags": [flag_as_dict(f) for f in result.flags],
            "therapists_alerted": result.alerted,
        },
    )


@router.get(
    "/clients/{client_id}/foot-checks/{check_id}",
    response={200: FootCheckOut, **error_responses(404)},
    summary="One daily foot check (audited)",
)
def get_foot_check(request: AuthedHttpRequest, client_id: int, check_id: int) -> dict[str, Any]:
    return check_row(selectors.foot_check_get_for_user(request.user, client_id, check_id))


@router.post(
    "/clients/{client_id}/foot-checks/{check_id}/review",
    response={200: FootCheckOut, **error_responses(404, *BODY)},
    summary="Record what was done about a report; its stop flag closes unless the record still says so",
)
def review_foot_check(
    request: AuthedHttpRequest, client_id: int, check_id: int, payload: ReviewIn
) -> dict[str, Any]:
    check = selectors.foot_check_get_for_user(request.user, client_id, check_id)
    return check_row(services.foot_check_review(actor=request.user, check=check, note=payload.review_note))


@router.get(
    "/clients/{client_id}/foot-checks/{check_id}/photo",
    response={200: None, **error_responses(404)},
    openapi_extra=download(*services.PHOTO_TYPES),
    summary="A report's photo (audited)",
)
def foot_check_photo(request: AuthedHttpRequest, client_id: int, check_id: int) -> HttpResponse:
    return photo_response(selectors.foot_check_photo_for_user(request.user, client_id, check_id))
