"""Every response under /api/ is JSON, errors included (404 for an unknown route, 405 for a wrong method).

Request limits for the API, checked before a view runs: a body must be JSON (415 otherwise; the API takes no
forms or file uploads), a query string may hold at most DATA_UPLOAD_MAX_NUMBER_FIELDS parameters, and no
text may contain a NUL character (422 naming the field; the body size limit, DATA_UPLOAD_MAX_MEMORY_SIZE, is
answered with 413 by the API's exception handler)."""

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

JSON_TYPES = {"application/json", "application/merge-patch+json"}
FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}
_EMPTY_FORM = re.compile(rb"\s*(--[^\r\n]*--)?\s*")  # no fields: nothing, or only the closing boundary


NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


def nul_fields(value: Any, path: str = "") -> Iterator[str]:
    """Paths ("client.first_name", "marks[0].note") of the strings in a JSON value that contain NUL, which
    no text column can store (PostgreSQL refuses it outright)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield child
            else:
                yield from nul_fields(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nul_fields(item, f"{path}[{i}]")


def _nul_errors(request: HttpRequest) -> JsonResponse | None:
    fields = [
        name for name, values in request.GET.lists() if any("\x00" in v for v in values) or "\x00" in name
    ]
    if request.method in {"POST", "PUT", "PATCH"} and b"\\u0000" in request.body:
        with contextlib.suppress(ValueError):  # not JSON: the API answers that itself
            fields += list(nul_fields(json.loads(request.body)))
    if not fields:
        return None
    return JsonResponse(
        {"detail": "Invalid input.", "errors": [{"field": f, "message": NUL_MESSAGE} for f in fields]},
        status=422,
    )


def _refuse_request(request: HttpRequest) -> JsonResponse | None:
    if request.method in {"POST", "PUT", "PATCH"} and request.META.get("CONTENT_LENGTH") not in (
        None,
        "",
        "0",
    ):
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type in FORM_TYPES:
            try:
                body = request.body  # kept in memory: the view can still read it
            except RequestDataTooBig:
                message = f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
                return JsonResponse({"detail": message, "errors": []}, status=413)
            if _EMPTY_FORM.fullmatch(body):
                content_type = "application/json"  # an empty form: what some clients send without a body
        if content_type not in JSON_TYPES:
            message = f"Send the body as application/json, not {content_type or 'without a Content-Type'}."
            return JsonResponse(
                {"detail": message, "errors": [{"field": "body", "message": message}]}, status=415
            )
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    query = request.META.get("QUERY_STRING", "")
    if limit is not None and query and query.count("&") + 1 > limit:
        message = f"At most {limit} query parameters."
        return JsonResponse(
            {"detail": message, "errors": [{"field": "query", "message": message}]}, status=400
        )
    try:
        return _nul_errors(request)
    except RequestDataTooBig:
        return None  # the API's own handler answers 413


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refused = _refuse_request(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            detail = (
                HTTPStatus(response.status_code).phrase
                if response.status_code in HTTPStatus._value2member_map_
                else "Error"
            )
            if response.status_code == 405 and response.get("Allow"):
                detail += f": use {response['Allow']}"
            json_response = JsonResponse({"detail": detail, "errors": []}, status=response.status_code)
            if response.get("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response
