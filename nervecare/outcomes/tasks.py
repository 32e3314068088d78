"""Background jobs for outcomes: the clinic report (large clinics take a while), on the project's queue."""

from nervecare.scheduling.tasks import huey


@huey.task()
def build_clinic_report(job_id: int) -> int:
    """Build a queued clinic outcome report; progress is written to the job as it goes."""
    from nervecare.outcomes.services import report_job_run

    return report_job_run(job_id).progress
