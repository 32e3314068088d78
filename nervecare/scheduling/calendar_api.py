"""iCalendar feeds: a therapist's private feed (revocable token) and a client's .ics file."""

import datetime
import hashlib

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import parse_etags
from ninja import Router, Schema, Status

from nervecare.clients.models import Client
from nervecare.core.api_support import download, error_responses
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import clinic_id_of, require_scheduling
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.scheduling.calendar import (
    calendar_token_create,
    calendar_token_revoke,
    client_ics,
    feed_url,
    therapist_feed,
    therapist_for_feed_token,
    webcal_url,
)

router = Router(tags=["calendars"])

CALENDAR_TYPE = "text/calendar; charset=utf-8"


class FeedTokenOut(Schema):
    id: int
    url: str
    webcal_url: str
    created_at: datetime.datetime


def _calendar_response(request: HttpRequest, body: bytes, *, filename: str, disposition: str) -> HttpResponse:
    # Calendar apps poll every few minutes: answer an unchanged feed with 304 and no body.
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=CALENDAR_TYPE)
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _therapist_for_calendar_admin(user: User, therapist_id: int) -> Therapist:
    """The therapist whose feed URL the user may manage: the therapist themself or a clinic admin."""
    require_scheduling(user)
    therapist = Therapist.objects.filter(pk=therapist_id, clinic_id=clinic_id_of(user)).first()
    if therapist is None:
        raise Http404("No such therapist.")
    if user.role != User.Role.ADMIN and therapist.user_id != user.pk:
        raise PermissionDenied("Only the therapist or a clinic admin may manage this calendar feed.")
    return therapist


@router.get(
    "/calendars/therapists/{token}.ics",
    auth=None,
    url_name="calendar_therapist_feed",
    summary="A therapist's calendar feed (private URL, no sign-in)",
    response={200: None, 304: None, **error_responses(404, public=True)},
    openapi_extra=download("text/calendar"),
)
def therapist_feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    # The token in the URL is the credential: calendar apps cannot sign in.
    therapist = therapist_for_feed_token(token)
    if therapist is None:
        raise Http404("No such calendar feed.")
    return _calendar_response(
        request, therapist_feed(therapist), filename="nervecare.ics", disposition="inline"
    )


@router.get(
    "/clients/{client_id}/appointments.ics",
    summary="A client's upcoming appointments as an .ics file",
    response={200: None, 304: None, **error_responses(404)},
    openapi_extra=download("text/calendar"),
)
def client_appointments_ics(request: AuthedHttpRequest, client_id: int) -> HttpResponse:
    require_scheduling(request.user)
    client = (
        Client.objects.filter(pk=client_id, clinic_id=clinic_id_of(request.user))
        .select_related("clinic")
        .first()
    )
    if client is None:
        raise Http404("No such client.")
    return _calendar_response(
        request, client_ics(client), filename="appointments.ics", disposition="attachment"
    )


@router.post(
    "/therapists/{therapist_id}/calendar-token",
    response={201: FeedTokenOut, **error_responses(404)},
    summary="A new private calendar feed URL (revokes the previous one)",
)
def calendar_token_new(request: AuthedHttpRequest, therapist_id: int) -> Status:
    therapist = _therapist_for_calendar_admin(request.user, therapist_id)
    token, plain = calendar_token_create(therapist=therapist, actor=request.user)
    url = feed_url(plain, request)
    return Status(
        201, {"id": token.pk, "url": url, "webcal_url": webcal_url(url), "created_at": token.created_at}
    )


@router.delete(
    "/therapists/{therapist_id}/calendar-token",
    response={204: None, **error_responses(404)},
    summary="Revoke the therapist's calendar feed URL",
)
def calendar_token_delete(request: AuthedHttpRequest, therapist_id: int) -> Status:
    therapist = _therapist_for_calendar_admin(request.user, therapist_id)
    calendar_token_revoke(therapist=therapist, actor=request.user)
    return Status(204, None)
