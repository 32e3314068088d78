"""Background jobs for outcomes: the clinic report (large clinics take a while) and the refresh of the
per-client outcome summaries after a change, on the project's queue."""

from nervecare.scheduling.tasks import huey


@huey.task()
def build_clinic_report(job_id: int) -> int:
    """Build a queued clinic outcome report; progress is written to the job as it goes."""
    from nervecare.outcomes.services import report_job_run

    return report_job_run(job_id).progress


@huey.task()
def refresh_outcome_summaries() -> int:
    """Recompute every stale per-client outcome summary (queued when a client's data change)."""
    from nervecare.outcomes.models import ClientOutcomeSummary
    from nervecare.outcomes.summary import ensure_fresh

    clinics = ClientOutcomeSummary.objects.filter(stale=True).values_list("clinic_id", flat=True).distinct()
    return sum(ensure_fresh(clinic_id) for clinic_id in list(clinics))
