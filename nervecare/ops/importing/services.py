"""The import's steps, each audited: upload, map, check (the dry run), import. Admins of the clinic only: an
import creates records for the whole clinic. Large files are checked and imported by the job queue, with
their progress on the run (`processed_rows` of `total_rows`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404

from nervecare.core.audit import audit_view
from nervecare.core.audit import record as audit_record
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import clinic_id_of, require_admin
from nervecare.ops.importing import presets, rows, steps
from nervecare.ops.importing.tasks import import_check_task, import_execute_task
from nervecare.ops.models import ImportKind, ImportPreset, ImportRun

MAX_BYTES = 50 * 1024 * 1024
# Files up to this many rows are checked and imported during the request; larger ones by the job queue.
INLINE_ROWS = 2000


def import_run_get_for_admin(user: User, run_id: Any) -> ImportRun:
    """An import of the admin's own clinic, or 404 (another clinic's runs do not exist for them)."""
    require_admin(user)
    run = ImportRun.objects.filter(pk=run_id, clinic_id=clinic_id_of(user)).first()
    if run is None:
        raise Http404("No such import.")
    # Its report quotes the file's values (a bad email, an unknown id): opening it is a read of client data.
    audit_view(user, run, "Import opened")
    return run


def import_runs_for_admin(user: User) -> list[ImportRun]:
    require_admin(user)
    return list(ImportRun.objects.filter(clinic_id=clinic_id_of(user)).defer("content")[:50])


def presets_for(user: User, kind: str) -> list[dict[str, Any]]:
    """The shipped presets (with their documentation's address) and the clinic's saved ones."""
    require_admin(user)
    out = [
        {
            "code": code,
            "label": p["label"],
            "source": p["source"],
            "verified": p["verified"],
            "note": p.get("note", ""),
            "saved": False,
        }
        for code, p in presets.shipped()[kind].items()
    ]
    for saved in ImportPreset.objects.filter(clinic_id=clinic_id_of(user), kind=kind):
        out.append(
            {
                "code": f"saved:{saved.pk}",
                "label": saved.name,
                "source": "Saved by your clinic",
                "verified": True,
                "note": "",
                "saved": True,
            }
        )
    return out


def _suggested(user: User, kind: str, headers: list[str], preset: str) -> tuple[dict[str, str], str]:
    if preset.startswith("saved:"):
        saved = ImportPreset.objects.filter(
            clinic_id=clinic_id_of(user),
            kind=kind,
            pk=preset.removeprefix("saved:") if preset[6:].isdigit() else 0,
        ).first()
        if saved is None:
            raise FieldErrors({"preset": "No such saved preset."})
        return {f: c for f, c in saved.mapping.items() if c in headers}, saved.date_format
    if preset not in presets.shipped()[kind]:
        raise FieldErrors({"preset": "Choose one of the listed presets."})
    return presets.suggest(kind, headers, preset), "iso"


@transaction.atomic
def import_upload(
    *, actor: User, kind: str, filename: str, data: bytes, preset: str = "generic"
) -> ImportRun:
    """Keep an uploaded CSV with a suggested column mapping. Errors name the file (422)."""
    require_admin(actor)
    if kind not in ImportKind.values:
        raise FieldErrors({"kind": "Choose clients or appointments."})
    if len(data) > MAX_BYTES:
        raise FieldErrors({"file": f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it."})
    if not data:
        raise FieldErrors({"file": "The file is empty."})
    text = rows.decode(data)
    headers, data_rows = rows.read(text)
    mapping, date_format = _suggested(actor, kind, headers, preset or "generic")
    run = ImportRun.objects.create(
        clinic_id=clinic_id_of(actor),
        kind=kind,
        source=(preset or "generic")[:40],
        filename=(filename or "upload.csv")[-200:],
        sha256=rows.sha256_of(data),
        content=text,
        headers=headers,
        mapping=mapping,
        date_format=date_format,
        total_rows=sum(1 for r in data_rows if r),
        created_by=actor,
    )
    audit_record(actor=actor, action="create", obj=run, summary=f"CSV uploaded for import: {run.filename}")
    return run


@transaction.atomic
def import_set_mapping(
    *, actor: User, run: ImportRun, mapping: dict[str, str], date_format: str, save_as: str = ""
) -> ImportRun:
    """Which column holds which field (and the order of the file's dates); optionally saved as a preset."""
    _require_editable(run)
    mapping = {k: v for k, v in mapping.items() if v}
    errors = rows.check_mapping(run.kind, run.headers, mapping, date_format)
    save_as = save_as.strip()
    if len(save_as) > 100:
        errors["save_as"] = "Ensure this value has at most 100 characters"
    if errors:
        raise FieldErrors(errors)
    run.mapping, run.date_format, run.status, run.report = mapping, date_format, ImportRun.Status.UPLOADED, {}
    run.save(update_fields=["mapping", "date_format", "status", "report"])
    if save_as:
        ImportPreset.objects.update_or_create(
            clinic_id=run.clinic_id,
            kind=run.kind,
            name=save_as,
            defaults={"mapping": mapping, "date_format": date_format, "created_by": actor},
        )
    audit_record(
        actor=actor, action="update", obj=run, summary="Import columns mapped", changes={"mapping": mapping}
    )
    return run


def _require_editable(run: ImportRun) -> None:
    if run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING, ImportRun.Status.DONE):
        raise FieldErrors(
            {
                "file": f"This import is {run.get_status_display().lower()}: upload the file again to start over."
            }
        )


def import_dry_run(*, actor: User, run: ImportRun) -> ImportRun:
    """Check every row and keep the report (errors by row and column, conflicts, what would be created).
    Writes nothing but the report. A large file is checked by the job queue."""
    require_admin(actor)
    _require_editable(run)
    errors = rows.check_mapping(run.kind, run.headers, run.mapping, run.date_format)
    if errors:
        raise FieldErrors(errors)
    if run.total_rows > INLINE_ROWS:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.QUEUED, processed_rows=0, report={"stage": "check"}
        )
        import_check_task(str(run.pk), actor.pk)
        run.refresh_from_db()
        return run
    return steps.dry_run(actor, run, progress=False)


def import_commit(*, actor: User, run: ImportRun) -> ImportRun:
    """Import whole or not at all, after a clean dry run. Re-running a file adds nothing."""
    require_admin(actor)
    _require_editable(run)
    if run.status != ImportRun.Status.CHECKED:
        raise FieldErrors({"file": "Run the check (dry run) first."})
    if run.report.get("error_count"):
        raise FieldErrors(
            {
                "file": f"The check found {run.report['error_count']} problems: fix them in the file and upload it again."
            }
        )
    if run.total_rows > INLINE_ROWS:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.QUEUED, processed_rows=0, report={**run.report, "stage": "import"}
        )
        import_execute_task(str(run.pk), actor.pk)
        run.refresh_from_db()
        return run
    return steps.execute(actor, run)
