"""metadata (the CapabilityStatement), read and search, and the answer to any other path."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import http_date

from nervecare.core.models import User
from nervecare.interop import capability, mapping, selectors
from nervecare.interop.search import Cursor, SearchError, split_values
from nervecare.interop.views.common import (
    CONTROL_PARAMS,
    audit_read,
    base_url,
    fhir_response,
    fhir_view,
    site_url,
    strict,
    wants_json,
)

DEFAULT_COUNT, MAX_COUNT = 50, 500


# --- metadata, read, search --------------------------------------------------------------------------------


@fhir_view(("GET",), public=True)
def metadata(request: HttpRequest) -> HttpResponse:
    wants_json(request)
    return fhir_response(
        capability.capability_statement(base_url(request)), headers={"Cache-Control": "no-cache"}
    )


@fhir_view(("GET",))
def read(request: HttpRequest, user: User, resource_type: str, resource_id: str) -> HttpResponse:
    wants_json(request)
    scope = selectors.scope_for(user, site_url(request))
    found = selectors.resource_read(scope, resource_type, resource_id)
    audit_read(user, found.client_ids, f"FHIR read {resource_type}/{resource_id}", request)
    resource = found.resources[0]
    headers = {}
    if (resource.get("meta") or {}).get("lastUpdated"):
        updated = dt.datetime.fromisoformat(resource["meta"]["lastUpdated"])
        headers["Last-Modified"] = http_date(updated.timestamp())
    return fhir_response(resource, headers=headers)


@fhir_view(("GET",))
def search(request: HttpRequest, user: User, resource_type: str) -> HttpResponse:
    wants_json(request)
    scope = selectors.scope_for(user, site_url(request))
    rtype = selectors.resource_type(resource_type)
    known = rtype.param_names()
    params: list[tuple[str, str, list[str]]] = []
    applied: list[tuple[str, str]] = []
    ignored: list[str] = []
    for raw_name, values in request.GET.lists():
        name, _, modifier = raw_name.partition(":")
        if name in CONTROL_PARAMS:
            continue
        if name not in known:
            ignored.append(raw_name)
            continue
        for value in values:
            alternatives = split_values(value)
            if not alternatives:
                raise SearchError(f"{raw_name}: empty value", raw_name)
            params.append((name, modifier, alternatives))
            applied.append((raw_name, value))
    if ignored and strict(request):
        raise SearchError(f"Not search parameters of {resource_type}: {', '.join(ignored)}", ignored[0])
    count = _count(request)
    cursor = Cursor.decode(request.GET["_cursor"]) if request.GET.get("_cursor") else None
    if cursor and cursor.source >= len(rtype.sources):
        raise SearchError("_cursor: not a page token of this search", "_cursor")
    found = selectors.resource_search(scope, resource_type, params, count, cursor)
    audit_read(user, found.client_ids, f"FHIR search {resource_type}", request)
    base = base_url(request)
    link_base = f"{base}/{resource_type}"

    def link(extra: list[tuple[str, str]]) -> str:
        query = urlencode(applied + [("_count", str(count))] + extra)
        return f"{link_base}?{query}"

    links = [{"relation": "self", "url": link([("_cursor", cursor.encode())] if cursor else [])}]
    if cursor:
        links.append({"relation": "first", "url": link([])})
    if found.next_cursor:
        links.append({"relation": "next", "url": link([("_cursor", found.next_cursor.encode())])})
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(),
        "link": links,
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in found.resources
        ],
    }
    if ignored:
        bundle["entry"].append(
            {
                "resource": mapping.operation_outcome(
                    (
                        "warning",
                        "not-supported",
                        f"Ignored (not search parameters of {resource_type}): {', '.join(ignored)}",
                    )
                ),
                "search": {"mode": "outcome"},
            }
        )
    return fhir_response(bundle)


def _count(request: HttpRequest) -> int:
    raw = request.GET.get("_count")
    if raw is None:
        return DEFAULT_COUNT
    try:
        count = int(raw)
    except ValueError:
        raise SearchError(f"_count: {raw!r} is not a whole number", "_count") from None
    if count < 1:
        raise SearchError("_count must be at least 1", "_count")
    return min(count, MAX_COUNT)


@fhir_view(("GET", "POST", "PUT", "PATCH", "DELETE"), public=True)
def unknown(request: HttpRequest, path: str = "") -> HttpResponse:
    raise Http404(f"Nothing at /fhir/R4/{path}: see /fhir/R4/metadata for what this server offers.")
