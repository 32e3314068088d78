"""The clinic-wide export page (admins): what the zip holds, and the download."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import render

from nervecare.core.permissions import require_admin
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.ops.clinic_export import clinic_export_build, exported_models


def export_response(user: object) -> FileResponse:
    spool, filename, _counts = clinic_export_build(actor=user)  # type: ignore[arg-type]
    response = FileResponse(spool, as_attachment=True, filename=filename, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def clinic_export(request: AuthedHttpRequest) -> HttpResponse:
    require_admin(request.user)
    if request.GET.get("download") == "zip":
        return export_response(request.user)
    tables = [m._meta.verbose_name_plural for m, _path in exported_models()]
    return render(request, "ops/clinic_export.html", {"tables": tables})
