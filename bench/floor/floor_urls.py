"""One bare Django JSON view reading one row (the framework floor of bench/ops_bench.py)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from nervecare.core.models import Clinic


def one_row(request: HttpRequest) -> JsonResponse:
    return JsonResponse(Clinic.objects.values("id", "name").first() or {})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("one-row", one_row), path("healthz", healthz)]
