"""Trials test data: a client with a stable diary, and a trial already agreed, running or completed."""

import datetime as dt

import numpy as np
from django.utils import timezone

from nervecare.portal.models import DiaryEntry
from nervecare.screening.models import SafetyFlag
from nervecare.trials.design import admissible_schedules
from nervecare.trials.models import Trial


def diary(
    client, first: dt.date, last: dt.date, *, level=5.0, sd=0.8, effect=0.0, b_days=None, seed=1, every=1
):
    """Daily entries first..last; `effect` added on the days `b_days` marks (a set of dates)."""
    rng = np.random.default_rng(seed)
    day = first
    rows = []
    while day <= last:
        if (day - first).days % every == 0:
            shift = effect if b_days and day in b_days else 0.0
            value = int(np.clip(round(level + shift + rng.normal(0, sd)), 0, 10))
            rows.append(DiaryEntry(client=client, day=day, pain=value, numbness=4, tingling=3, sleep=3))
        day += dt.timedelta(days=1)
    DiaryEntry.objects.bulk_create(rows)


def stop_flag(client):
    now = timezone.now()
    return SafetyFlag.objects.create(
        client=client,
        rule_id="dvt_suspected",
        title="Suspected DVT",
        level="stop",
        area="leg",
        raised_at=now,
        last_checked_at=now,
    )


def make_trial(
    client, *, start: dt.date, weeks=16, phases=4, min_weeks=2, index=None, status="active", by=None
):
    schedules = admissible_schedules(
        weeks_total=weeks, phases=phases, min_phase_weeks=min_weeks, randomise_first=False
    )
    index = len(schedules) // 2 if index is None else index
    return Trial.objects.create(
        client=client,
        proposed_by=by,
        comparison="sessions_vs_pause",
        measure="pain",
        phases=phases,
        weeks_total=weeks,
        min_phase_weeks=min_weeks,
        rating_every_days=1,
        alternative="less",
        alpha=0.05,
        start_date=start,
        schedule_index=index,
        schedule=schedules[index].as_dict(),
        n_schedules=len(schedules),
        rules_version="test",
        status=status,
    )


def b_days_of(trial):
    out = set()
    for phase in admissible_schedules(
        weeks_total=trial.weeks_total,
        phases=trial.phases,
        min_phase_weeks=trial.min_phase_weeks,
        randomise_first=False,
    )[trial.schedule_index].phases(trial.start_date):
        if phase["condition"] == "B":
            d = phase["start"]
            while d <= phase["end"]:
                out.add(d)
                d += dt.timedelta(days=1)
    return out
