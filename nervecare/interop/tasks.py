"""Background jobs of the FHIR interface, on the project's job queue (nervecare/scheduling/tasks.py).

Registered when the app loads (InteropConfig.ready), so `nervecare run_jobs` runs them. In tests (and with
NERVECARE_JOBS_IMMEDIATE) the queue runs a task inline, as soon as it is enqueued.
"""

from huey import crontab

from nervecare.interop import bulk
from nervecare.scheduling.tasks import huey


@huey.task()
def run_export(job_id: str) -> None:
    """Write a bulk export's NDJSON files (kicked off by GET /fhir/R4/$export)."""
    bulk.export_run(job_id)


@huey.periodic_task(crontab(minute="43"))
def purge_expired_exports() -> int:
    """Hourly: delete the files of exports past their expiry time."""
    return bulk.export_purge_expired()
