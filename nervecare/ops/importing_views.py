"""Pages for switching in: upload a CSV, map its columns, check it (dry run), import it; the template files.
Thin: the rules are in ops/importing/services.py. Admins of the clinic only."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from nervecare.core.errors import FieldErrors
from nervecare.core.pages import csv_download, is_htmx
from nervecare.core.permissions import require_admin
from nervecare.core.request_types import AuthedHttpRequest
from nervecare.ops.importing import presets, services
from nervecare.ops.importing.fields import fields_for
from nervecare.ops.importing.rows import DATE_FORMAT_LABELS
from nervecare.ops.models import ImportKind, ImportRun


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportKind.choices)
    preset = forms.CharField(label=gettext_lazy("Exported from"), max_length=60, initial="generic")
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("Comma, semicolon or tab separated, with a header row. Up to 50 MB."),
    )


@login_required
def imports(request: AuthedHttpRequest) -> HttpResponse:
    """The runs so far and the upload form."""
    require_admin(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.import_upload(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                data=upload.read(services.MAX_BYTES + 1),
                preset=form.cleaned_data["preset"],
            )
        except FieldErrors as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else "file", message)
        else:
            return redirect("imports:run", run_id=run.pk)
    context = {
        "form": form,
        "runs": services.import_runs_for_admin(request.user),
        "presets": {kind: services.presets_for(request.user, kind) for kind in ImportKind.values},
    }
    return render(request, "ops/imports.html", context, status=422 if form.errors else 200)


def _run_context(
    request: AuthedHttpRequest, run: ImportRun, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "run": run,
        "fields": [
            {
                "field": f,
                "column": run.mapping.get(f.name, ""),
                "error": (errors or {}).get(f"mapping.{f.name}", ""),
            }
            for f in fields_for(run.kind)
        ],
        "date_formats": DATE_FORMAT_LABELS,
        "errors": errors or {},
        "report": run.report,
        "busy": run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING),
        "percent": int(100 * run.processed_rows / run.total_rows) if run.total_rows else 0,
    }


@login_required
def import_run(request: AuthedHttpRequest, run_id: str) -> HttpResponse:
    """One import: its mapping (POST saves it), the dry run's report, the import button, its progress."""
    run = services.import_run_get_for_admin(request.user, run_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        mapping = {f.name: request.POST.get(f"map_{f.name}", "") for f in fields_for(run.kind)}
        try:
            run = services.import_set_mapping(
                actor=request.user,
                run=run,
                mapping=mapping,
                date_format=request.POST.get("date_format", ""),
                save_as=request.POST.get("save_as", ""),
            )
            run = services.import_dry_run(actor=request.user, run=run)
        except FieldErrors as exc:
            errors = exc.errors
            run.mapping = {k: v for k, v in mapping.items() if v}
        else:
            return redirect("imports:run", run_id=run.pk)
    context = _run_context(request, run, errors)
    if is_htmx(request):
        return render(request, "ops/partials/import_status.html", context)
    return render(request, "ops/import_run.html", context, status=422 if errors else 200)


@login_required
@require_POST
def import_commit(request: AuthedHttpRequest, run_id: str) -> HttpResponse:
    run = services.import_run_get_for_admin(request.user, run_id)
    try:
        run = services.import_commit(actor=request.user, run=run)
    except FieldErrors as exc:
        messages.error(request, " ".join(exc.errors.values()))
    else:
        if run.status == ImportRun.Status.DONE:
            messages.success(request, _("Imported. Running the same file again adds nothing."))
        elif run.status == ImportRun.Status.FAILED:
            messages.error(request, run.report.get("detail", _("Nothing was imported.")))
    return redirect("imports:run", run_id=run.pk)


@login_required
def import_template(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    require_admin(request.user)
    if kind not in ImportKind.values:
        raise Http404("No such template.")
    return csv_download(presets.template_csv(kind), filename=f"nervecare-{kind}-template.csv")
