"""Every response under /api/ is JSON, errors included (404 for an unknown route, 405 for a wrong method).

Request limits for the API, checked before a view runs: a body must be JSON (415 otherwise; the API takes no
forms or file uploads), and a query string may hold at most DATA_UPLOAD_MAX_NUMBER_FIELDS parameters (the
body size limit, DATA_UPLOAD_MAX_MEMORY_SIZE, is answered with 413 by the API's exception handler)."""

import re
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

JSON_TYPES = {"application/json", "application/merge-patch+json"}
FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}
_EMPTY_FORM = re.compile(rb"\s*(--[^\r\n]*--)?\s*")  # no fields: nothing, or only the closing boundary


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
    return None


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
