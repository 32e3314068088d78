"""Writes for single-client trials: propose, consent, decline, withdraw, end (the therapist, a pause refused,
a stop flag). Each is atomic and audited; each checks who may do it, and the safety rules, itself."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.selectors import portal_user_id_of
from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical, require_clinical_or_own_record
from nervecare.core.services import audit_record
from nervecare.screening.models import SafetyFlag
from nervecare.trials import design, hooks
from nervecare.trials.consent import consent_text
from nervecare.trials.models import Trial, TrialConsent, TrialEvent
from nervecare.trials.rules import comparison, trial_rules

# A trial may be planned to start within this many days (a later start would rest on an old baseline).
MAX_START_DAYS = 60
OPEN = (Trial.Status.PROPOSED, Trial.Status.ACTIVE)


def client_today(client: Client) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(client.clinic.timezone)).date()


def open_stop_flags(client: Client) -> list[SafetyFlag]:
    return list(
        client.flags.filter(status=SafetyFlag.Status.OPEN, level=SafetyFlag.Level.STOP).order_by(
            "raised_at", "id"
        )
    )


def baseline_stability(client: Client, measure: str, today: dt.date) -> dict[str, Any]:
    """The stability rule (data/trial_rules.yaml) on the diary of the window before today."""
    window = trial_rules()["stability"]["baseline_days"]
    first = today - dt.timedelta(days=window)
    ratings = hooks.daily_ratings(client=client, measure=measure, first=first, last=today)
    days = sorted(ratings)
    result = design.stability([ratings[d] for d in days], [(d - first).days for d in days])
    result["window"] = {"first": first.isoformat(), "last": today.isoformat()}
    refused = set(trial_rules()["stability"]["refuse_condition_phases"])
    acute = [c for c in client.conditions.all() if c.phase in refused]
    if acute:
        result["reasons"].append(f"{acute[0]} is in its onset phase (acute): symptoms are not stable yet")
        result["stable"] = False
    return result


def _open_trial(client: Client) -> Trial | None:
    """The client's proposed, scheduled or running trial (one at a time)."""
    today = client_today(client)
    for trial in client.trials.filter(status__in=OPEN):
        if trial.status == Trial.Status.PROPOSED or trial.end_date >= today:
            return trial
    return None


def _event(
    trial: Trial, kind: str, by: User | None, reason: str = "", flag: SafetyFlag | None = None
) -> None:
    TrialEvent.objects.create(trial=trial, kind=kind, at=timezone.now(), by=by, reason=reason, flag=flag)


@transaction.atomic
def trial_propose(
    *,
    actor: User,
    client: Client,
    comparison_code: str,
    measure: str,
    phases: int,
    weeks_total: int,
    min_phase_weeks: int,
    rating_every_days: int,
    start_date: dt.date,
    randomise_first: bool = False,
) -> Trial:
    """The therapist proposes a trial: the design is checked, the baseline must be stable (rules as data), no
    stop flag may be open, and the schedule is drawn at random among the admissible ones."""
    require_clinical(actor)
    Client.objects.select_for_update().filter(
        pk=client.pk
    ).first()  # one trial at a time: serialise proposals
    errors: dict[str, str] = {}
    if comparison_code not in Trial.Comparison.values:
        errors["comparison"] = "choose one of the comparisons offered"
    if measure not in Trial.Measure.values:
        errors["measure"] = "choose pain, numbness or tingling"
    today = client_today(client)
    if not isinstance(start_date, dt.date) or start_date < today:
        errors["start_date"] = "cannot be in the past"
    elif start_date > today + dt.timedelta(days=MAX_START_DAYS):
        errors["start_date"] = f"must be within {MAX_START_DAYS} days"
    if errors:
        raise FieldErrors(errors)
    schedules = design.validate_design(
        weeks_total=weeks_total,
        phases=phases,
        min_phase_weeks=min_phase_weeks,
        rating_every_days=rating_every_days,
        randomise_first=randomise_first,
    )
    if _open_trial(client) is not None:
        raise FieldErrors({"client": "already has a trial proposed or running: end it first"})
    flags = open_stop_flags(client)
    if flags:
        raise FieldErrors({"client": f"has an open stop flag ({flags[0].title}): no trial while it is open"})
    stability = baseline_stability(client, measure, today)
    if not stability["stable"]:
        raise FieldErrors(
            {"measure": "the diary is not stable enough for a trial: " + "; ".join(stability["reasons"])}
        )
    index = design.draw(schedules)
    trial = Trial.objects.create(
        client=client,
        proposed_by=actor,
        comparison=comparison_code,
        measure=measure,
        phases=phases,
        weeks_total=weeks_total,
        min_phase_weeks=min_phase_weeks,
        rating_every_days=rating_every_days,
        randomise_first=randomise_first,
        alternative=comparison(comparison_code)["alternative"],
        alpha=trial_rules()["design"]["alpha"],
        start_date=start_date,
        schedule_index=index,
        schedule=schedules[index].as_dict(),
        n_schedules=len(schedules),
        rules_version=str(trial_rules()["version"]),
        stability=stability,
    )
    _event(trial, TrialEvent.Kind.PROPOSED, actor)
    audit_record(
        actor=actor,
        action="create",
        obj=trial,
        summary=f"Single-client trial proposed ({trial.get_comparison_display()}, {weeks_total} weeks)",
    )
    return trial


def _locked(trial: Trial) -> Trial:
    return Trial.objects.select_for_update().select_related("client__clinic").get(pk=trial.pk)


@transaction.atomic
def trial_consent(
    *, actor: User, trial: Trial, text_version: str, method: str = "electronic"
) -> TrialConsent:
    """The client agrees (in the portal, electronically) or the therapist records a written or witnessed
    verbal agreement. The consent keeps the version and the exact words shown."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(trial.client))
    trial = _locked(trial)
    if actor.role == User.Role.CLIENT:
        method = TrialConsent.Method.ELECTRONIC
    elif method not in (TrialConsent.Method.WRITTEN, TrialConsent.Method.VERBAL):
        raise FieldErrors({"method": "choose signed on paper or verbal, witnessed"})
    if trial.status != Trial.Status.PROPOSED:
        raise FieldErrors(
            {"trial": f"is {trial.get_status_display().lower()}: only a proposed trial can be agreed to"}
        )
    text = consent_text(trial)
    if text_version != text["version"]:
        raise FieldErrors({"text_version": f"the current version is {text['version']}: please read it again"})
    if trial.start_date < client_today(trial.client):
        raise FieldErrors({"trial": "its start date has passed: ask the therapist to propose it again"})
    flags = open_stop_flags(trial.client)
    if flags:
        raise FieldErrors({"trial": f"a stop flag is open ({flags[0].title}): the trial cannot start"})
    consent = TrialConsent.objects.create(
        trial=trial,
        text_version=text["version"],
        text=text["body"],
        given_at=timezone.now(),
        method=method,
        recorded_by=actor,
    )
    trial.status = Trial.Status.ACTIVE
    trial.save(update_fields=["status"])
    _event(trial, TrialEvent.Kind.CONSENTED, actor, consent.get_method_display())
    audit_record(
        actor=actor, action="create", obj=consent, summary=f"Trial consent v{consent.text_version} ({method})"
    )
    return consent


def _end(
    trial: Trial, *, actor: User | None, status: str, kind: str, reason: str, flag: SafetyFlag | None = None
) -> Trial:
    trial.status = status
    trial.ended_at = timezone.now()
    trial.ended_by = actor
    trial.end_reason = reason
    trial.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    if status == Trial.Status.WITHDRAWN:
        trial.consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=trial.ended_at)
    _event(trial, kind, actor, reason, flag)
    audit_record(
        actor=actor, action="update", obj=trial, summary=f"Single-client trial {status}: {reason}"[:200]
    )
    return trial


def _require_open(trial: Trial) -> None:
    if trial.status not in OPEN or trial.end_date < client_today(trial.client):
        raise FieldErrors({"trial": "has already ended"})


@transaction.atomic
def trial_decline(*, actor: User, trial: Trial, reason: str = "") -> Trial:
    """The client says no to a proposed trial."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(trial.client))
    trial = _locked(trial)
    if trial.status != Trial.Status.PROPOSED:
        raise FieldErrors({"trial": "only a proposed trial can be declined"})
    return _end(
        trial,
        actor=actor,
        status=Trial.Status.DECLINED,
        kind=TrialEvent.Kind.DECLINED,
        reason=reason.strip()[:500] or "Declined",
    )


@transaction.atomic
def trial_withdraw(*, actor: User, trial: Trial, reason: str = "") -> Trial:
    """The client stops the trial, at any time and without a reason (the therapist may record it for them).
    Care carries on as usual; the consent is marked withdrawn."""
    require_clinical_or_own_record(actor, owner_user_id=portal_user_id_of(trial.client))
    trial = _locked(trial)
    _require_open(trial)
    return _end(
        trial,
        actor=actor,
        status=Trial.Status.WITHDRAWN,
        kind=TrialEvent.Kind.WITHDRAWN,
        reason=reason.strip()[:500] or "The client withdrew",
    )


@transaction.atomic
def trial_stop(*, actor: User, trial: Trial, reason: str, pause_refused: bool = False) -> Trial:
    """The therapist ends the trial, or says no to its pause (recorded as a pause refused); a reason is
    required either way (who and why are kept in the trial's events and the audit trail)."""
    require_clinical(actor)
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors({"reason": "say why the trial ends"})
    trial = _locked(trial)
    _require_open(trial)
    if pause_refused and comparison(trial.comparison)["pause"] is None:
        raise FieldErrors({"pause_refused": "this trial has no pause phase"})
    kind = TrialEvent.Kind.PAUSE_REFUSED if pause_refused else TrialEvent.Kind.STOPPED
    text = f"Pause refused by the therapist: {reason}" if pause_refused else reason
    return _end(trial, actor=actor, status=Trial.Status.STOPPED, kind=kind, reason=text[:500])


def trial_safety_check(
    *, actor: User | None = None, client: Client, fresh: Any = None, **_: Any
) -> Trial | None:
    """The record hook (clients.hooks): a record created in this transaction (`fresh`, the intake) has no
    trial yet, so its check costs no statement (issue 20: the intake's statements); otherwise
    trial_safety_end."""
    if fresh is not None:
        return None
    return trial_safety_end(actor=actor, client=client)


@transaction.atomic
def trial_safety_end(*, actor: User | None = None, client: Client, **_: Any) -> Trial | None:
    """End the client's open trial when a stop flag is open (the safety rules still apply: a pause must not
    go on, and sessions stop anyway). Run after every change to the record (clients.hooks) and before a
    trial is shown. Returns the trial it ended, if any."""
    trial = _open_trial(client)
    if trial is None:
        return None
    flags = open_stop_flags(client)
    if not flags:
        return None
    trial = _locked(trial)
    if trial.status not in OPEN:
        return None
    return _end(
        trial,
        actor=None,
        status=Trial.Status.STOPPED,
        kind=TrialEvent.Kind.STOPPED,
        reason=f'Ended by the safety rules: stop flag "{flags[0].title}"',
        flag=flags[0],
    )
