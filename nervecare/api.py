"""The JSON API under /api/v1/: one NinjaAPI mounting each app's router. Schema: /api/v1/openapi.json."""

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from nervecare.billing.api import router as billing_router
from nervecare.booking.api import router as booking_router
from nervecare.booking.staff_api import router as booking_staff_router
from nervecare.clients.api import router as clients_router
from nervecare.core.api import router as core_router
from nervecare.core.api.audit import router as audit_router
from nervecare.core.api_support import (
    AUTH,
    BODY,
    FiniteJsonParser,
    error_body,
    error_responses,
    field_from_loc,
)
from nervecare.core.bounds import NonFiniteNumberError
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.scopes import MissingScopeError
from nervecare.core.throttling import API_THROTTLES, FailedAuthThrottle
from nervecare.footcheck.api import router as footcheck_router
from nervecare.interop.api import router as interop_router
from nervecare.ops import privacy_api, switching_api
from nervecare.outcomes.api import router as outcomes_router
from nervecare.outcomes.claims.api import router as claims_router
from nervecare.plans.api import router as plans_router
from nervecare.plans.services import PlanBlockedError
from nervecare.scheduling.api import router as scheduling_router
from nervecare.scheduling.calendar_api import router as calendar_router
from nervecare.scheduling.desk_api import router as desk_router
from nervecare.scheduling.overview_api import router as overview_router
from nervecare.scheduling.services import BookingConflictError, SessionBlockedError
from nervecare.screening.api import router as screening_router
from nervecare.selfcare.api import router as selfcare_router
from nervecare.setup.api import router as setup_router
from nervecare.trials.api import router as trials_router
from nervecare.visits.api import router as visits_router
from nervecare.web.between_api import router as between_router

api = NinjaAPI(
    title="NerveCare API",
    version="1",
    description=(
        "Intake, validated screening, safety check and care plans for massage therapy clients living with "
        "neuropathy. Authenticate with a session (the web login, plus the CSRF token) or with "
        "`Authorization: Bearer <token>` (create one with `nervecare token create <username> --scope "
        "clients:read ...`; a token acts as its user and only on the routes its scopes cover, listed in "
        "nervecare/core/data/api_scopes.yaml). Errors are "
        'JSON: `{"detail": ..., "errors": [{"field": ..., "message": ...}]}` with a 4xx status. '
        "Retry a POST safely with an `Idempotency-Key: <unique string, 1-255 characters>` header (per user, "
        "kept 24 hours): a retry with the same key gets the first answer with `Idempotent-Replayed: true` and "
        "never books twice; the same key with another request is 422, a retry while the first is still being "
        "answered is 409; 5xx, 401, 403, 409 and 429 answers are not stored (a retry is answered afresh)."
    ),
    auth=AUTH,
    parser=FiniteJsonParser(),  # 1e999, NaN, Infinity: 422 naming the field
    throttle=API_THROTTLES,  # NERVECARE_API_RATE / NERVECARE_API_ANON_RATE: 429 with Retry-After
    urls_namespace="api",
)
# DELETE /clients/{id} shares its path with the clients router's GET/PATCH, so it is added to that router
# (one path, one router); the service and the other life-cycle routes are in nervecare/ops.
clients_router.add_api_operation(
    "/clients/{client_id}",
    ["DELETE"],
    privacy_api.delete_client,
    response={200: privacy_api.ClientStateOut, **error_responses(404, *BODY)},
    summary="Delete a client (soft; admins only)",
)
api.add_router("", core_router)
api.add_router("", clients_router)
api.add_router("", privacy_api.router)
api.add_router("", switching_api.router)
api.add_router("", screening_router)
api.add_router("", plans_router)
api.add_router("", scheduling_router)
api.add_router("", calendar_router)
api.add_router("", desk_router)
api.add_router("", overview_router)
api.add_router("", visits_router)
api.add_router("", outcomes_router)
api.add_router("", claims_router)
api.add_router("", billing_router)
api.add_router("", footcheck_router)
api.add_router("", between_router)
api.add_router("", trials_router)
api.add_router("", audit_router)
api.add_router("", interop_router)
api.add_router("", setup_router)
api.add_router("", booking_router)
api.add_router("", selfcare_router)
api.add_router("", booking_staff_router)


@api.exception_handler(FieldErrors)
def _field_errors(request: HttpRequest, exc: FieldErrors) -> HttpResponse:
    return api.create_response(request, error_body("Invalid input.", exc.errors), status=422)


@api.exception_handler(NinjaValidationError)
def _validation_errors(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for err in exc.errors:
        field = field_from_loc(err.get("loc", ()))
        # pydantic prefixes a validator's own message with "Value error, ": the user needs only the message.
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        errors[field] = (errors[field] + "; " if field in errors else "") + message
    return api.create_response(request, error_body("Invalid input.", errors), status=422)


@api.exception_handler(PlanBlockedError)
def _plan_blocked(request: HttpRequest, exc: PlanBlockedError) -> HttpResponse:
    body = error_body(str(exc), {f"flags.{f.rule_id}": f"{f.level}: {f.reason}" for f in exc.flags})
    return api.create_response(request, body, status=409)


@api.exception_handler(BookingConflictError)
def _booking_conflict(request: HttpRequest, exc: BookingConflictError) -> HttpResponse:
    body = error_body("Conflict: nothing was booked or moved.", exc.errors)
    body["conflicts"] = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in c.items() if k != "alternatives"}
        | (
            {
                "alternatives": [
                    {ak: (av.isoformat() if hasattr(av, "isoformat") else av) for ak, av in alt.items()}
                    for alt in c["alternatives"]
                ]
            }
            if "alternatives" in c
            else {}
        )
        for c in exc.conflicts
    ]
    return api.create_response(request, body, status=409)


@api.exception_handler(SessionBlockedError)
def _session_blocked(request: HttpRequest, exc: SessionBlockedError) -> HttpResponse:
    # Raised only behind the API's auth, so the user is signed in; anyone else would be told only of the hold.
    user = request.user if isinstance(request.user, User) else None
    if exc.shows_reason_to(user):
        body = error_body(str(exc), {f"flags.{f.rule_id}": f"{f.level}: {f.reason}" for f in exc.flags})
    else:  # the front desk is told there is a hold, not the clinical reason
        body = error_body(exc.message_for(user), {"client_id": "safety hold: ask the therapist"})
    return api.create_response(request, body, status=409)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    if isinstance(exc, MissingScopeError):
        message = f"the token needs the scope '{exc.scope}'" if exc.scope else "not available to API tokens"
        body = error_body(str(exc), {"scope": message})
        body["missing_scope"] = exc.scope
        return api.create_response(request, body, status=403)
    return api.create_response(request, error_body(str(exc) or "Not allowed."), status=403)


@api.exception_handler(OverflowError)
def _number_too_large(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    """A number no column can hold (SQLite stores 64-bit integers): the request is wrong, never a 500. Routes
    bound their numbers in their schemas to name the field; this is the net under them."""
    errors = {"request": "a number in the request is larger than NerveCare can store"}
    return api.create_response(
        request, error_body("A number in the request is too large.", errors), status=422
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body(str(exc) or "Not found."), status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    throttle = FailedAuthThrottle()
    if not throttle.allow_request(request):  # many refused credentials from one address: slow it down
        wait = throttle.wait()
        response = api.create_response(request, error_body("Too many requests."), status=429)
        response["Retry-After"] = str(math.ceil(wait or 60))
        return response
    return api.create_response(request, error_body("Sign in or send a valid bearer token."), status=401)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(
        request, error_body(f"The request body is larger than {limit} bytes."), status=413
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, NonFiniteNumberError):  # raised by FiniteJsonParser while parsing the body
        errors = {exc.__cause__.field: "must be a finite number"}
        return api.create_response(request, error_body("Invalid input.", errors), status=422)
    return api.create_response(request, error_body(str(exc)), status=exc.status_code)
