"""The demo clinic's completed single-client trial (issue 21 point 3): one client of Maria's with a stable
chronic neuropathy, a 16-week A-B-A-B trial of sessions vs a planned pause that ended a few days ago, agreed in
the portal (consent text version 1), with daily diary ratings from four weeks before it to its end.

The ratings are simulated (seeded: the same every run) with a real effect of about 1.8 points lower pain in the
session weeks, AR(1) day-to-day carry-over and a few missed days; the schedule is "drawn" by the same seeded
generator, so the demo is reproducible (a real trial draws it with the operating system's random source).
Idempotent: a client who already has a trial is left alone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.core.models import Clinic, User
from nervecare.portal.models import DiaryEntry
from nervecare.screening.models import SafetyFlag
from nervecare.trials.consent import consent_text
from nervecare.trials.design import admissible_schedules
from nervecare.trials.models import Trial, TrialConsent, TrialEvent
from nervecare.trials.rules import trial_rules

WEEKS, PHASES, MIN_WEEKS = 16, 4, 2
EFFECT = -1.8  # points of pain, session weeks vs pause weeks
SEED = 20261207


def _candidate(clinic: Clinic, therapist: User) -> Client | None:
    """Maria's first client with a chronic (not acute) condition and no open stop or clearance flag."""
    flagged = SafetyFlag.objects.filter(
        status=SafetyFlag.Status.OPEN, level__in=[SafetyFlag.Level.STOP, SafetyFlag.Level.CLEARANCE]
    ).values("client_id")
    return (
        Client.objects.filter(clinic=clinic, primary_therapist__user=therapist, deleted_at__isnull=True)
        .exclude(pk__in=flagged)
        .exclude(conditions__phase="acute")
        .filter(conditions__isnull=False)
        .order_by("id")
        .first()
    )


@transaction.atomic
def seed_trials(clinic: Clinic, therapist: User) -> Trial | None:
    """Seed the completed demo trial (and its diary); None when there is no suitable client or it exists."""
    client = _candidate(clinic, therapist)
    if client is None or client.trials.exists():
        return None
    rng = np.random.default_rng(SEED)
    today = timezone.now().astimezone(ZoneInfo(clinic.timezone)).date()
    start = today - dt.timedelta(days=7 * WEEKS + 3)
    schedules = admissible_schedules(
        weeks_total=WEEKS, phases=PHASES, min_phase_weeks=MIN_WEEKS, randomise_first=False
    )
    index = int(rng.integers(len(schedules)))
    b = schedules[index].day_conditions()
    baseline_days = trial_rules()["stability"]["baseline_days"]
    first = start - dt.timedelta(days=baseline_days)
    days = (start - first).days + b.size
    e = np.zeros(days)
    for t in range(1, days):
        e[t] = 0.3 * e[t - 1] + rng.normal(0, 0.9)
    existing = set(DiaryEntry.objects.filter(client=client, day__gte=first).values_list("day", flat=True))
    rows = []
    for t in range(days):
        day = first + dt.timedelta(days=t)
        if day in existing or rng.random() < 0.08:
            continue
        in_b = t >= baseline_days and b[t - baseline_days] == 1
        pain = int(np.clip(round(6 + (EFFECT if in_b else 0) + e[t]), 0, 10))
        rows.append(
            DiaryEntry(
                client=client,
                day=day,
                pain=pain,
                numbness=int(np.clip(round(5 + 0.5 * e[t]), 0, 10)),
                tingling=int(np.clip(round(4 + 0.4 * e[t]), 0, 10)),
            )
        )
    DiaryEntry.objects.bulk_create(rows)
    proposed_at = timezone.now() - dt.timedelta(days=7 * WEEKS + 10)
    trial = Trial.objects.create(
        client=client,
        proposed_by=therapist,
        comparison=Trial.Comparison.SESSIONS_VS_PAUSE,
        measure=Trial.Measure.PAIN,
        phases=PHASES,
        weeks_total=WEEKS,
        min_phase_weeks=MIN_WEEKS,
        rating_every_days=1,
        alternative="less",
        alpha=trial_rules()["design"]["alpha"],
        start_date=start,
        schedule_index=index,
        schedule=schedules[index].as_dict(),
        n_schedules=len(schedules),
        rules_version=str(trial_rules()["version"]),
        stability={"stable": True, "n": baseline_days, "reasons": [], "note": "demo: simulated baseline"},
        status=Trial.Status.ACTIVE,
    )
    Trial.objects.filter(pk=trial.pk).update(created_at=proposed_at)
    text = consent_text(trial)
    account = getattr(client, "portal_account", None)
    TrialConsent.objects.create(
        trial=trial,
        text_version=text["version"],
        text=text["body"],
        given_at=proposed_at + dt.timedelta(days=2),
        method=TrialConsent.Method.ELECTRONIC if account else TrialConsent.Method.WRITTEN,
        recorded_by=account.user if account else therapist,
    )
    TrialEvent.objects.create(trial=trial, kind=TrialEvent.Kind.PROPOSED, at=proposed_at, by=therapist)
    TrialEvent.objects.create(
        trial=trial,
        kind=TrialEvent.Kind.CONSENTED,
        at=proposed_at + dt.timedelta(days=2),
        by=account.user if account else therapist,
    )
    return trial
