"""The job queue's tasks for imports of large files (imported by OpsConfig.ready, so the consumer knows them)."""

from nervecare.core.jobs import huey
from nervecare.ops.importing.steps import run_check_job, run_execute_job


@huey.task()
def import_check_task(run_id: str, actor_id: int) -> None:
    run_check_job(run_id, actor_id)


@huey.task()
def import_execute_task(run_id: str, actor_id: int) -> None:
    run_execute_job(run_id, actor_id)
