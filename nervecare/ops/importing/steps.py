"""The import's work that may run in the job queue: the dry run and the all-or-nothing import."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from nervecare.core.audit import record as audit_record
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.ops.importing import rows
from nervecare.ops.importing.apply import apply_appointments, apply_clients
from nervecare.ops.models import ImportKind, ImportRun

logger = logging.getLogger(__name__)


def _progress(run: ImportRun) -> Any:
    def report(n: int) -> None:
        ImportRun.objects.filter(pk=run.pk).update(processed_rows=n)

    return report


def _check(actor: User, run: ImportRun, *, progress: bool) -> rows.Checked:
    headers, data_rows = rows.read(run.content)
    return rows.check(
        run.kind,
        actor=actor,
        headers=headers,
        rows=data_rows,
        mapping=run.mapping,
        date_format=run.date_format,
        progress=_progress(run) if progress else None,
    )


def dry_run(actor: User, run: ImportRun, *, progress: bool) -> ImportRun:
    checked = _check(actor, run, progress=progress)
    run.report = {"stage": "checked", **checked.summary()}
    run.status = ImportRun.Status.CHECKED
    run.processed_rows = run.total_rows
    run.save(update_fields=["report", "status", "processed_rows"])
    audit_record(
        actor=actor,
        action="view",
        obj=run,
        summary=f"Import checked (dry run): {checked.total} rows, {len(checked.problems)} problems",
    )
    return run


def execute(actor: User, run: ImportRun) -> ImportRun:
    """The rows are checked again inside the transaction that writes them: a booking made since the dry run is
    a conflict (and on PostgreSQL the exclusion constraints stop any race); any problem writes nothing."""
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    try:
        with transaction.atomic():
            checked = _check(actor, run, progress=False)
            if checked.problems:
                raise _RefusedError(checked)
            if run.kind == ImportKind.CLIENTS:
                counts = apply_clients(actor=actor, run=run, checked=checked)
            else:
                counts = apply_appointments(actor=actor, run=run, checked=checked)
            run.status = ImportRun.Status.DONE
            run.processed_rows = run.total_rows
            run.finished_at = timezone.now()
            run.report = {
                **checked.summary(),
                "stage": "done",
                "created": counts,
                "created_text": _describe(counts),
            }
            run.save(update_fields=["status", "processed_rows", "finished_at", "report"])
            audit_record(
                actor=actor, action="create", obj=run, summary=f"Import done: {counts}", changes=counts
            )
    except _RefusedError as refused:
        _failed(
            actor,
            run,
            {
                "stage": "failed",
                **refused.checked.summary(),
                "detail": "Nothing was imported: the file has problems (listed by row).",
            },
        )
    except IntegrityError:
        logger.exception("import %s refused by the database", run.pk)
        _failed(
            actor,
            run,
            {
                **run.report,
                "stage": "failed",
                "detail": (
                    "Nothing was imported: a booking or an import made at the same time took one of these times or "
                    "records. Run the check again."
                ),
            },
        )
    run.refresh_from_db()
    return run


class _RefusedError(Exception):
    def __init__(self, checked: rows.Checked):
        self.checked = checked


@transaction.atomic
def _failed(actor: User, run: ImportRun, report: dict[str, Any]) -> None:
    run.status, run.report, run.finished_at = ImportRun.Status.FAILED, report, timezone.now()
    run.save(update_fields=["status", "report", "finished_at"])
    audit_record(actor=actor, action="update", obj=run, summary="Import refused: nothing was written")


def run_check_job(run_id: str, actor_id: int) -> None:
    """The job queue's dry run of a large file."""
    run = ImportRun.objects.get(pk=run_id)
    actor = User.objects.get(pk=actor_id)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    try:
        dry_run(actor, run, progress=True)
    except FieldErrors as exc:
        _failed(actor, run, {"stage": "failed", "detail": "; ".join(exc.errors.values())})
    except Exception:
        # A job that dies must not leave the page saying "Importing" for ever.
        logger.exception("import %s: the check failed", run.pk)
        _failed(actor, run, {"stage": "failed", "detail": UNEXPECTED})
        raise


def run_execute_job(run_id: str, actor_id: int) -> None:
    """The job queue's import of a large file (nothing is written if it fails)."""
    run = ImportRun.objects.get(pk=run_id)
    actor = User.objects.get(pk=actor_id)
    try:
        execute(actor, run)
    except Exception:
        logger.exception("import %s: the import failed", run.pk)
        _failed(actor, run, {**run.report, "stage": "failed", "detail": UNEXPECTED})
        raise


UNEXPECTED = (
    "Nothing was imported: the job stopped on an unexpected error (logged). Try again, or ask for help."
)


_COUNT_WORDS = {
    "clients_created": "clients created",
    "clients_matched": "matched to clients already here",
    "appointments_created": "appointments booked",
    "past_visits_created": "past visits added",
    "access_granted": "therapists given access to a client by a booking",
}


def _describe(counts: dict[str, int]) -> list[str]:
    return [f"{n} {_COUNT_WORDS.get(k, k)}" for k, n in counts.items()]
