"""Writes for outcomes: the therapist's decision on a re-evaluation suggestion, and clinic report jobs (with
the queue's task that builds them: large clinics take a while)."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.errors import FieldErrors
from nervecare.core.jobs import huey
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.outcomes.analysis import client_outcomes
from nervecare.outcomes.cohort import CohortFilters, clinic_mixed_model, clinic_outcomes
from nervecare.outcomes.models import ReevaluationDecision, ReportJob
from nervecare.outcomes.selectors import client_data
from nervecare.outcomes.summary import eligible_for_model


@transaction.atomic
def reevaluation_decide(
    *,
    actor: User,
    client: Client,
    plan_id: int,
    week: int,
    decision: str,
    action: str | None = None,
    reason: str = "",
) -> ReevaluationDecision:
    """Record that the therapist accepted or overruled NerveCare's suggestion at a re-evaluation point.

    Accepting takes the suggested action; overruling needs the chosen action and a reason."""
    require_clinical(actor)
    if client.clinic_id != actor.clinic_id:
        raise FieldErrors({"client": "not found"})
    errors: dict[str, str] = {}
    result = client_outcomes(client_data(client), decisions={})
    if result["plan"] is None or result["plan"]["id"] != plan_id:
        raise FieldErrors({"plan_id": "is not the client's current plan"})
    point = next((p for p in result["reevaluations"] if p["week"] == week), None)
    if point is None:
        raise FieldErrors(
            {"week": f"is not a re-evaluation week of the plan ({result['plan']['reevaluation_weeks']})"}
        )
    if not point["reached"] or point["suggestion"] is None:
        raise FieldErrors({"week": "this re-evaluation point has not been reached yet"})
    suggested = point["suggestion"]["action"]
    if decision not in ReevaluationDecision.Decision.values:
        errors["decision"] = "must be accepted or overruled"
    reason = (reason or "").strip()
    if decision == ReevaluationDecision.Decision.ACCEPTED:
        action = suggested
    elif decision == ReevaluationDecision.Decision.OVERRULED:
        if action not in ReevaluationDecision.Action.values:
            errors["action"] = "choose continue, adjust or refer"
        elif action == suggested:
            errors["action"] = "overruling means choosing a different action than the one suggested"
        if not reason:
            errors["reason"] = "say why the suggestion is overruled"
    if len(reason) > 2000:
        errors["reason"] = "at most 2000 characters"
    if errors or action is None:
        raise FieldErrors(errors or {"action": "choose continue, adjust or refer"})
    record = ReevaluationDecision(
        client=client,
        plan_id=plan_id,
        week=week,
        suggested=suggested,
        decision=decision,
        action=action,
        reason=reason,
        suggestion=_jsonable(point["suggestion"]) | {"as_of_week": point["as_of_week"]},
        decided_by=actor,
    )
    record.full_clean()
    record.save()
    audit_record(
        actor=actor,
        action="create",
        obj=record,
        summary=f"Re-evaluation week {week}: suggestion {suggested} {decision} ({action})",
    )
    return record


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


@transaction.atomic
def report_job_create(*, actor: User, params: dict[str, Any]) -> ReportJob:
    """Queue a clinic outcome report; the job queue builds it and records its progress."""
    require_clinical(actor)
    clinic_id = actor.clinic_id
    # require_clinical admits only staff of a clinic (User.is_clinical), so the clinic is set.
    assert clinic_id is not None
    job = ReportJob.objects.create(clinic_id=clinic_id, requested_by=actor, kind="clinic", params=params)
    audit_record(actor=actor, action="create", obj=job, summary="Clinic outcome report requested")
    transaction.on_commit(lambda: build_clinic_report(job.id))
    return job


def report_job_progress(job_id: int, progress: int, message: str) -> None:
    ReportJob.objects.filter(pk=job_id).update(
        progress=max(0, min(progress, 100)), message=message[:200], status=ReportJob.Status.RUNNING
    )


def report_job_run(job_id: int) -> ReportJob:
    """Build the clinic report for a job (called by the job queue), recording progress as it goes."""
    from nervecare.outcomes.reports.clinic import clinic_report_pdf

    job = ReportJob.objects.select_related("clinic").get(pk=job_id)
    if job.status == ReportJob.Status.DONE:
        return job
    try:
        report_job_progress(job.id, 5, "Reading the clinic's ratings")
        params = dict(job.params)
        filters = CohortFilters(
            measure=params.get("measure", "pain"),
            type=params.get("type", ""),
            cause=params.get("cause", ""),
            modality=params.get("modality", ""),
            therapist_id=params.get("therapist_id"),
        )
        result = clinic_outcomes(job.clinic, filters, with_model=False)
        report_job_progress(job.id, 25, "Fitting the mixed-effects model")
        eligible = eligible_for_model(job.clinic_id, filters, filters.measure)
        result["model"] = clinic_mixed_model(job.clinic_id, filters.measure, eligible)
        pdf = clinic_report_pdf(result, progress=lambda pct, msg: report_job_progress(job.id, pct, msg))
    except Exception as exc:  # noqa: BLE001 - a failed report is shown to the user, never lost silently
        ReportJob.objects.filter(pk=job.id).update(
            status=ReportJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    ReportJob.objects.filter(pk=job.id).update(
        status=ReportJob.Status.DONE, progress=100, message="Ready", pdf=pdf, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


@huey.task()
def build_clinic_report(job_id: int) -> int:
    """The queue's job: build a queued clinic outcome report; progress is written to the job as it goes."""
    return report_job_run(job_id).progress
