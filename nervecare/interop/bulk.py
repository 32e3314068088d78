"""Bulk Data export (FHIR Bulk Data Access IG): kick-off, status, cancel, and the job that writes the files.

The jobs (run_export, purge_expired_exports) are defined here, on the project's queue (core/jobs.py),
registered when the app loads (InteropConfig.ready) so `nervecare run_jobs` runs them. In tests (and with
NERVECARE_JOBS_IMMEDIATE) the queue runs a task inline, as soon as it is enqueued.

The job streams each resource type to its own gzip-compressed NDJSON file, spooled to a temporary file and
then stored as `<job id>/<type>.ndjson.gz` in the "exports" storage (core/filestore.py: the database by
default, so any app process on any machine serves the download; no shared disk): rows are read a chunk at a
time by keyset (pk > last), turned into resources and written out, so memory stays flat however large the
clinic. Between chunks the job records its progress (the X-Progress header) and notices a cancellation.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import tempfile
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from huey import crontab

from nervecare.core.filestore import delete_folder, export_storage
from nervecare.core.jobs import huey
from nervecare.core.models import User
from nervecare.core.services import audit_record
from nervecare.interop import mapping
from nervecare.interop.models import ACTIVE_STATUSES, ExportJob
from nervecare.interop.selectors import PATIENT_EXPORT_TYPES, RESOURCE_TYPES, scope_for

logger = logging.getLogger(__name__)

CHUNK = 2000  # rows read, and resources written, per step
GZIP_LEVEL = 1  # fast: the export is bound by CPU, and level 1 already shrinks FHIR JSON about tenfold
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def ttl() -> dt.timedelta:
    """How long finished files are kept (and the manifest's Expires)."""
    return dt.timedelta(hours=getattr(settings, "NERVECARE_EXPORT_TTL_HOURS", 24))


def poll_interval() -> int:
    """Seconds a client should wait between status requests (Retry-After); faster polls get 429."""
    return int(getattr(settings, "NERVECARE_EXPORT_POLL_SECONDS", 5))


STALE_AFTER = dt.timedelta(minutes=30)  # a running job that has not moved for this long has died


class ExportBusyError(Exception):
    """An export for the clinic is already running (429)."""

    def __init__(self, job: ExportJob):
        self.job = job
        super().__init__("An export for this clinic is already running; try again when it has finished.")


class PolledTooSoonError(Exception):
    """The status was asked for again before Retry-After had passed (429)."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"Polled too soon: wait {retry_after} s between status requests.")


def export_folder(job_id: uuid.UUID | str) -> str:
    return str(job_id)


def export_file(job: ExportJob, type_name: str) -> str:
    """The name of one of the export's files in the exports storage."""
    return f"{export_folder(job.pk)}/{type_name}.ndjson.gz"


def allowed_types(level: str) -> tuple[str, ...]:
    return tuple(RESOURCE_TYPES) if level == ExportJob.Level.SYSTEM else PATIENT_EXPORT_TYPES


# --- kick-off, status, cancel ----------------------------------------------------------------------------


def export_kickoff(
    *,
    user: User,
    level: str,
    types: list[str] | None,
    since: dt.datetime | None,
    request_url: str,
    site_url: str,
) -> ExportJob:
    """Start an export of what the user may see, as a background job; one running export per clinic."""
    scope_for(user)  # clinical roles only
    _fail_stale(user.clinic_id)
    export_purge_expired()
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                clinic_id=user.clinic_id,
                requested_by=user,
                level=level,
                request_url=request_url,
                site_url=site_url,
                resource_types=list(types) if types is not None else list(allowed_types(level)),
                since=since,
            )
    except IntegrityError:
        running = ExportJob.objects.filter(clinic_id=user.clinic_id, status__in=ACTIVE_STATUSES).first()
        raise ExportBusyError(running) from None
    audit_record(actor=user, action="create", obj=job, summary=f"FHIR bulk export requested: {request_url}")
    # Not inside a transaction (the view runs in autocommit), so the queue's worker sees the row.
    run_export(str(job.pk))
    job.refresh_from_db()
    return job


def _fail_stale(clinic_id: int) -> None:
    """A job whose worker died would hold the clinic's export slot for ever: give it up after a while."""
    ExportJob.objects.filter(
        clinic_id=clinic_id,
        status=ExportJob.Status.IN_PROGRESS,
        heartbeat_at__lt=timezone.now() - STALE_AFTER,
    ).update(status=ExportJob.Status.FAILED, error_message="The export stopped responding.")


def export_get_for_user(user: User, job_id: uuid.UUID) -> ExportJob:
    """The user's own export. 404, saying which: not found (anyone else's, or no such id), cancelled or
    deleted (DELETE on its status URL), or expired (its files are kept `ttl()` after it finished)."""
    job = ExportJob.objects.filter(pk=job_id, requested_by_id=user.pk, clinic_id=user.clinic_id).first()
    if job is None:
        raise Http404("No such export.")
    if job.status == ExportJob.Status.CANCELLED:
        raise Http404("This export was cancelled or deleted; start a new one.")
    if job.expires_at and job.expires_at <= timezone.now():
        _remove_files(job)
        hours = int(ttl().total_seconds() // 3600)
        raise Http404(
            f"This export has expired (files are kept {hours} hours after it finishes); start a new one."
        )
    return job


def export_poll(*, user: User, job_id: uuid.UUID) -> ExportJob:
    """The export's state for a status request; a running export refuses polls faster than Retry-After."""
    scope_for(user)
    _fail_stale(user.clinic_id)
    job = export_get_for_user(user, job_id)
    if job.status in ACTIVE_STATUSES:
        now = timezone.now()
        interval = poll_interval()
        earliest = now - dt.timedelta(seconds=interval)
        claimed = (
            ExportJob.objects.filter(pk=job.pk)
            .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=earliest))
            .update(last_polled_at=now)
        )
        if not claimed:
            job.refresh_from_db(fields=["last_polled_at"])
            wait = interval - int((now - job.last_polled_at).total_seconds())
            raise PolledTooSoonError(max(1, wait))
    return job


def export_cancel(*, user: User, job_id: uuid.UUID) -> None:
    """Cancel a running export, or delete a finished one's files (DELETE on the status URL)."""
    scope_for(user)
    job = export_get_for_user(user, job_id)
    with transaction.atomic():  # the status change and its audit event together
        ExportJob.objects.filter(pk=job.pk).exclude(status=ExportJob.Status.CANCELLED).update(
            status=ExportJob.Status.CANCELLED, finished_at=timezone.now()
        )
        audit_record(actor=user, action="delete", obj=job, summary="FHIR bulk export cancelled or deleted")
    _remove_files(job)  # files only once the cancellation is committed


def export_purge_expired() -> int:
    """Remove the files of exports past their expiry (the rows stay, for the audit trail)."""
    now = timezone.now()
    expired = ExportJob.objects.filter(expires_at__lte=now, status=ExportJob.Status.COMPLETED)
    removed = 0
    storage = export_storage()
    for job in expired.only("pk", "output", "errors"):
        if any(storage.exists(export_file(job, o["type"])) for o in [*job.output, *job.errors]):
            _remove_files(job)
            removed += 1
    return removed


def _remove_files(job: ExportJob) -> None:
    delete_folder(export_storage(), export_folder(job.pk))


def manifest(job: ExportJob, file_url: Any) -> dict[str, Any]:
    """The completion manifest; file_url(type_name) gives each file's download URL."""
    return {
        "transactionTime": mapping.iso(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": o["type"], "url": file_url(o["type"]), "count": o["count"]} for o in job.output],
        "error": [{"type": e["type"], "url": file_url(e["type"]), "count": e["count"]} for e in job.errors],
    }


def progress_text(job: ExportJob) -> str:
    """The X-Progress header: a short human-readable account of how far the export got."""
    if job.status == ExportJob.Status.ACCEPTED:
        return "queued"
    p = job.progress or {}
    done, total = p.get("types_done", 0), p.get("types_total", len(job.resource_types))
    current = f", writing {p['type']}" if p.get("type") else ""
    return f"{done}/{total} resource types done{current}; {p.get('resources', 0)} resources"


# --- the job -----------------------------------------------------------------------------------------------


class _CancelledError(Exception):
    """The export was cancelled while it ran."""


def export_run(job_id: str) -> None:
    """Write the export's files (run by the job queue). Never raises: a failure is recorded on the job."""
    now = timezone.now()
    started = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.ACCEPTED).update(
        status=ExportJob.Status.IN_PROGRESS, started_at=now, heartbeat_at=now, transaction_time=now
    )
    if not started:
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        _write(job)
    except _CancelledError:
        _remove_files(job)
    except Exception as exc:
        logger.exception("bulk export %s failed", job.pk)
        _remove_files(job)
        message = "The export failed: " + (str(exc) or type(exc).__name__)
        if isinstance(exc, PermissionDenied):
            message = "The export failed: the user who asked for it may no longer read clinical data."
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.IN_PROGRESS).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now(), error_message=message[:2000]
        )


def _write(job: ExportJob) -> None:
    scope = scope_for(job.requested_by, job.site_url)
    storage = export_storage()
    state = {"types_done": 0, "types_total": len(job.resource_types), "resources": 0, "type": ""}
    outputs: list[dict[str, Any]] = []
    problems: list[str] = []

    def heartbeat() -> None:
        alive = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.IN_PROGRESS).update(
            heartbeat_at=timezone.now(), progress=dict(state)
        )
        if not alive:
            raise _CancelledError

    for type_name in job.resource_types:
        state["type"] = type_name
        heartbeat()
        count = 0
        # Spooled to a local temporary file (memory stays flat), then stored where every instance reads it.
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after it is stored
        with gzip.open(spool, "wb", compresslevel=GZIP_LEVEL) as out:
            lines: list[str] = []
            for source in RESOURCE_TYPES[type_name].sources:
                q = source.since_q(job.since) if job.since else Q()
                for obj in source.rows(scope, q, chunk=CHUNK):
                    try:
                        resources = source.to_fhir(obj, scope)
                    except Exception as exc:  # one bad row must not sink the export: report it
                        problems.append(
                            _encode(
                                mapping.operation_outcome(
                                    (
                                        "error",
                                        "exception",
                                        f"{type_name} from {type(source).__name__} row {source.key(obj)}: {exc}",
                                    )
                                )
                            )
                        )
                        continue
                    lines.extend(_encode(r) for r in resources)
                    if len(lines) >= CHUNK:
                        out.write(("\n".join(lines) + "\n").encode())
                        count += len(lines)
                        state["resources"] += len(lines)
                        lines.clear()
                        heartbeat()
            if lines:
                out.write(("\n".join(lines) + "\n").encode())
                count += len(lines)
                state["resources"] += len(lines)
        with spool:
            if count:  # no empty files: the manifest lists only types with resources
                storage.save(export_file(job, type_name), spool)
                outputs.append({"type": type_name, "count": count})
        state["types_done"] += 1
    errors = []
    if problems:
        with tempfile.TemporaryFile() as spool:
            with gzip.open(spool, "wb", compresslevel=GZIP_LEVEL) as out:
                out.write(("\n".join(problems) + "\n").encode())
            storage.save(export_file(job, "OperationOutcome"), spool)
        errors.append({"type": "OperationOutcome", "count": len(problems)})
    state["type"] = ""
    finished = timezone.now()
    done = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.IN_PROGRESS).update(
        status=ExportJob.Status.COMPLETED,
        finished_at=finished,
        heartbeat_at=finished,
        expires_at=finished + ttl(),
        output=outputs,
        errors=errors,
        progress=state,
    )
    if not done:
        raise _CancelledError
    audit_record(
        actor=job.requested_by,
        action="view",
        obj=job,
        summary=f"FHIR bulk export written: {state['resources']} resources of {len(outputs)} types",
    )


@huey.task()
def run_export(job_id: str) -> None:
    """Write a bulk export's NDJSON files (kicked off by GET /fhir/R4/$export)."""
    export_run(job_id)


@huey.periodic_task(crontab(minute="43"))
def purge_expired_exports() -> int:
    """Hourly: delete the files of exports past their expiry time."""
    return export_purge_expired()
