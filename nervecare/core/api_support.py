"""Shared pieces of the JSON API: authentication, error handling and the documented error responses."""

import json
from typing import Any, cast

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from nervecare.core.bounds import reject_non_finite
from nervecare.core.labels import field_label
from nervecare.core.scopes import check_token_scope, required_scope
from nervecare.core.services import api_token_authenticate


class BearerToken(HttpBearer):
    """`Authorization: Bearer nc_...` with a token made by `nervecare token create`.

    The token acts as its user AND only on the routes its scopes cover (core/data/api_scopes.yaml); a route
    without a declared scope is closed to tokens. Revoked, expired or unknown: 401. Valid but without the
    scope: 403 naming the scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None:
            return None
        match = getattr(request, "resolver_match", None)
        scope = required_scope(request.method or "GET", match.route if match else "")
        check_token_scope(user.api_token, scope)  # raises MissingScopeError (403)
        request.user = user
        return user


class SignedInSession(SessionAuth):
    """The web session. Without a signed-in session there is nothing to protect from CSRF, so an anonymous
    request gets 401 (sign in) rather than a puzzling CSRF 403."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


# Bearer first: a token request carries no CSRF cookie, and the session check would refuse it for that.
AUTH = [BearerToken(), SignedInSession()]


def error_body(detail: str, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The API's error JSON; each field also by its label in the user's words (core/labels.py)."""
    return {
        "detail": detail,
        "errors": [{"field": k, "label": field_label(k), "message": v} for k, v in (errors or {}).items()],
    }


def field_from_loc(loc: list[Any] | tuple[Any, ...]) -> str:
    """('body', 'payload', 'client', 'date_of_birth') -> 'client.date_of_birth'; list indices as [i]."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


class FiniteJsonParser(Parser):
    """JSON bodies without non-finite numbers: 1e999 parses as infinity, which no column stores and no
    calculation survives. Raises NonFiniteNumberError (ninja wraps it in an HttpError; the API's handler
    answers 422 naming the field)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], reject_non_finite(json.loads(request.body)))


class FieldErrorOut(Schema):
    field: str = Field(
        description="The input it is about, as the request names it (e.g. client.date_of_birth)."
    )
    label: str | None = Field(
        None, description="The same input in the user's words, for showing to a person (e.g. Date of birth)."
    )
    message: str


class ErrorOut(Schema):
    """Every error of the API (4xx): a message, and the fields at fault when there are any."""

    detail: str
    errors: list[FieldErrorOut]


class ForbiddenOut(ErrorOut):
    missing_scope: str | None = Field(
        None, description="Only when a bearer token lacks the route's scope (null: closed to tokens)."
    )


class ConflictOut(ErrorOut):
    conflicts: list[dict[str, Any]] | None = Field(
        None, description="A booking's clashes: with what (appointment, room…), its id and times."
    )


# Statuses any signed-in route can answer: 400 too many query parameters, 401 no valid sign-in or token, 403
# the role or the token's scope does not allow it, 422 bad input (also a NUL in the query), 429 rate limit.
_COMMON = (400, 401, 403, 422, 429)
_PUBLIC = (400, 422, 429)
_SCHEMAS: dict[int, type[ErrorOut]] = {403: ForbiddenOut, 409: ConflictOut}


def error_responses(*extra: int, public: bool = False) -> dict[int, type[ErrorOut]]:
    """The documented error responses of a route: the common ones plus `extra` (404 not found or not yours,
    409 conflict, 413 body too large, 415 body not JSON), each with its JSON shape (ErrorOut)."""
    codes = sorted({*(_PUBLIC if public else _COMMON), *extra})
    return {code: _SCHEMAS.get(code, ErrorOut) for code in codes}


# A route that takes a JSON body can also answer 413 (too large) and 415 (not JSON).
BODY = (413, 415)


def download(*content_types: str, status: int = 200) -> dict[str, Any]:
    """`openapi_extra` for a route that answers a file (CSV, PDF, iCalendar): its media types, as bytes."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {status: {"content": dict.fromkeys(content_types, binary)}}}
