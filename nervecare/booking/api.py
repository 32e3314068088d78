"""The public booking API (no credentials): the same operations as the public booking page, for a clinic
that has turned online booking on. Rate limited per address like the page (NERVECARE_PUBLIC_PAGE_RATE for
every request, NERVECARE_ONLINE_BOOKING_RATE for requests to hold a time); nothing names or counts any
client, and a request answers the same whatever the e-mail address."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.throttling import BaseThrottle

from nervecare.booking import selectors, services
from nervecare.core.api_support import BODY, error_responses
from nervecare.core.errors import FieldErrors
from nervecare.core.throttling import OnlineBookingThrottle, PublicPageThrottle

router = Router(tags=["online booking"])
READ: list[BaseThrottle] = [PublicPageThrottle()]
HOLD: list[BaseThrottle] = [PublicPageThrottle(), OnlineBookingThrottle()]


class PublicServiceOut(Schema):
    id: int
    name: str
    minutes: int
    description: str


class PublicTherapistOut(Schema):
    id: int
    name: str
    years_experience: int
    bio: str


class PublicClinicOut(Schema):
    name: str
    slug: str
    address: str
    phone: str
    timezone: str
    min_notice_hours: int
    booking_horizon_days: int
    consent_version: str | None = Field(description="The consent to treatment a booking agrees to.")
    consent_text: str | None
    services: list[PublicServiceOut]


class PublicSlotOut(Schema):
    slot: str = Field(description='Pass it back as "slot" to request this time.')
    starts_at: datetime.datetime
    therapist_id: int
    therapist: str


class PublicDayOut(Schema):
    date: datetime.date
    closed: bool
    slots: list[PublicSlotOut]


class PublicTimesOut(Schema):
    timezone: str
    days: list[PublicDayOut]
    previous: datetime.date | None
    next: datetime.date | None


class TimesQuery(Schema):
    therapist: str = Field("any", max_length=12, description='"any" or a therapist id')
    start: datetime.date | None = None


class BookingRequestIn(Schema):
    service_id: int = Field(ge=1, le=2**31 - 1)
    therapist: str = Field("any", max_length=12, description='"any" or a therapist id')
    slot: str = Field(max_length=80)
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    date_of_birth: str = Field(max_length=40, description="YYYY-MM-DD")
    email: str = Field(max_length=320)
    phone: str = Field(max_length=60)
    consent: bool = Field(description="The client has read the consent to treatment and agrees to it.")
    consent_version: str = Field(max_length=40)


class BookingRequestedOut(Schema):
    detail: str
    hold_minutes: int
    confirm_hours: int


class ConfirmIn(Schema):
    token: str = Field(max_length=200, description="The secret from the link in the e-mail.")


class ConfirmedOut(Schema):
    status: str
    starts_at: datetime.datetime
    therapist: str
    service: str


@router.get(
    "/public/clinics/{slug}",
    response={200: PublicClinicOut, **error_responses(404, public=True)},
    auth=None,
    throttle=READ,
    summary="A clinic's public booking page: its services and consent text",
)
def public_clinic(request: HttpRequest, slug: str) -> dict[str, Any]:
    clinic = selectors.clinic_for_online_booking(slug)
    consent = selectors.current_consent_text(clinic)
    return {
        "name": clinic.name,
        "slug": clinic.slug,
        "address": clinic.address,
        "phone": clinic.phone,
        "timezone": clinic.timezone,
        "min_notice_hours": clinic.min_notice_hours,
        "booking_horizon_days": clinic.booking_horizon_days,
        "consent_version": consent.version if consent else None,
        "consent_text": consent.body if consent else None,
        "services": list(selectors.online_services(clinic)),
    }


@router.get(
    "/public/clinics/{slug}/services/{service_id}/therapists",
    response={200: list[PublicTherapistOut], **error_responses(404, public=True)},
    auth=None,
    throttle=READ,
    summary="The therapists who may give a service booked online",
)
def public_therapists(request: HttpRequest, slug: str, service_id: int) -> list[dict[str, Any]]:
    clinic = selectors.clinic_for_online_booking(slug)
    service = selectors.online_service(clinic, service_id)
    return [
        {"id": t.pk, "name": t.display_name, "years_experience": t.years_experience, "bio": t.bio}
        for t in selectors.online_therapists(clinic, service)
    ]


@router.get(
    "/public/clinics/{slug}/services/{service_id}/times",
    response={200: PublicTimesOut, **error_responses(404, public=True)},
    auth=None,
    throttle=READ,
    summary="Free times for a service, a week at a time",
)
def public_times(
    request: HttpRequest, slug: str, service_id: int, query: Query[TimesQuery]
) -> dict[str, Any]:
    clinic = selectors.clinic_for_online_booking(slug)
    service = selectors.online_service(clinic, service_id)
    therapists = selectors.online_therapists(clinic, service)
    if query.therapist != "any":
        therapists = [t for t in therapists if str(t.pk) == query.therapist]
        if not therapists:
            raise FieldErrors({"therapist": "choose one of the therapists offered for this service, or any"})
    times = selectors.offered_times(
        clinic=clinic,
        service=service,
        therapists=therapists,
        start=query.start or selectors.first_day(clinic),
        any_therapist=query.therapist == "any",
    )
    return {
        "timezone": times["timezone"],
        "previous": times["previous"],
        "next": times["next"],
        "days": [
            {
                "date": d["date"],
                "closed": d["closed"],
                "slots": [
                    {
                        "slot": s["value"],
                        "starts_at": s["starts_at"],
                        "therapist_id": s["therapist_id"],
                        "therapist": s["therapist"],
                    }
                    for s in d["slots"]
                ],
            }
            for d in times["days"]
        ],
    }


@router.post(
    "/public/clinics/{slug}/bookings",
    response={202: BookingRequestedOut, **error_responses(404, 409, *BODY, public=True)},
    auth=None,
    throttle=HOLD,
    summary="Request a time: the time is held and a confirmation link is e-mailed",
)
def public_book(request: HttpRequest, slug: str, payload: BookingRequestIn) -> Status:
    clinic = selectors.clinic_for_online_booking(slug)
    data = payload.model_dump()
    services.online_booking_request(
        clinic=clinic,
        service_id=data["service_id"],
        therapist=data["therapist"],
        slot=data["slot"],
        contact={k: data[k] for k in services.CONTACT_FIELDS},
        consent=data["consent"],
        consent_version=data["consent_version"],
        link_for=lambda token: request.build_absolute_uri(
            reverse("booking:confirm", kwargs={"slug": clinic.slug, "token": token})
        ),
    )
    return Status(
        202,
        {
            "detail": "We have e-mailed a link to confirm the booking to the address given.",
            "hold_minutes": services.hold_minutes(),
            "confirm_hours": services.confirm_hours(),
        },
    )


@router.post(
    "/public/clinics/{slug}/bookings/confirm",
    response={200: ConfirmedOut, **error_responses(404, 409, *BODY, public=True)},
    auth=None,
    throttle=READ,
    summary="Confirm a requested time with the secret from the e-mailed link",
)
def public_confirm(request: HttpRequest, slug: str, payload: ConfirmIn) -> dict[str, Any]:
    clinic = selectors.clinic_for_online_booking(slug)
    found = selectors.booking_by_token(payload.token)
    if found is None or found.clinic_id != clinic.pk:
        raise Http404("No such booking request: the link may have expired.")
    booking = services.online_booking_confirm(token=payload.token)
    appointment = booking.appointment
    return {
        "status": appointment.status,
        "starts_at": appointment.starts_at,
        "therapist": appointment.therapist.display_name,
        "service": appointment.service.name,
    }
