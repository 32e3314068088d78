"""API token scopes: the vocabulary and which route needs which scope (data: core/data/api_scopes.yaml)."""

import re
from functools import cache

from django.core.exceptions import PermissionDenied

from nervecare.core.vocab import load_yaml

SCOPES_FILE = "core/data/api_scopes.yaml"
ANY = "any"


@cache
def vocabulary() -> dict[str, str]:
    """{scope: what it covers}."""
    return dict(load_yaml(SCOPES_FILE)["scopes"])


@cache
def route_scopes() -> dict[str, str]:
    """{"METHOD /path": scope} for the JSON API (paths as declared, under /api/v1). A route whose answer holds
    several kinds of data names each scope, separated by spaces: the token needs all of them (a superbill
    carries diagnoses as well as money)."""
    routes = dict(load_yaml(SCOPES_FILE)["routes"])
    known = set(vocabulary()) | {ANY}
    unknown = {k: v for k, v in routes.items() if not set(v.split()) <= known}
    if unknown:
        raise ValueError(f"{SCOPES_FILE}: unknown scopes {unknown}")
    return routes


_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def api_route_key(method: str, route: str, prefix: str = "api/v1/") -> str:
    """("GET", "api/v1/clients/<int:client_id>") -> "GET /clients/{client_id}"."""
    path = route.removeprefix(prefix)
    return f"{method.upper()} /" + _CONVERTER.sub(r"{\1}", path)


def required_scope(method: str, route: str) -> str | None:
    """The scope an API route needs from a token; None: the route is closed to tokens."""
    method = "GET" if method.upper() == "HEAD" else method
    return route_scopes().get(api_route_key(method, route))


def fhir_scope(method: str) -> str:
    return "fhir:read" if method.upper() in ("GET", "HEAD", "OPTIONS") else "fhir:write"


class MissingScopeError(PermissionDenied):
    """A valid token without the scope the route needs (HTTP 403, naming the scope)."""

    def __init__(self, scope: str | None):
        self.scope = scope
        if scope is None:
            message = "This route is not available to API tokens; sign in to use it."
        else:
            message = f"This token lacks the scope '{scope}'."
        super().__init__(message)


def validate_scopes(values: list[str]) -> list[str]:
    """The scopes, deduplicated in vocabulary order; ValueError naming the unknown ones."""
    vocab = vocabulary()
    unknown = [v for v in values if v not in vocab]
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(vocab)}")
    wanted = set(values)
    return [s for s in vocab if s in wanted]


def check_token_scope(token: object, scope: str | None) -> None:
    """Raise MissingScopeError unless the token carries the scope, or every one of several separated by spaces
    (ANY: every token); the error names the first one missing."""
    if scope == ANY:
        return
    if scope is None:
        raise MissingScopeError(None)
    held = set(getattr(token, "scopes", None) or [])
    for needed in scope.split():
        if needed not in held:
            raise MissingScopeError(needed)
