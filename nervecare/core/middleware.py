"""Every response under /api/ is JSON, errors included (404 for an unknown route, 405 for a wrong method)."""

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
