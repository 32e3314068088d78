"""How a client's 0-10 ratings become a baseline, course weeks and a "now" value.

The one definition both the client's page (Python, here) and the clinic's cohort (SQL in cohort.py, run by
the database or by DuckDB) follow; a test checks they agree client by client.

- Observations of a rating (pain, numbness, tingling): 0-10 screenings (nrs_*), the intake ratings of the
  client's neuropathy (Condition), and the pre-session ratings of signed session notes (amendments applied).
- Baseline: the earliest intake screening; else the intake rating of the earliest-recorded neuropathy;
  else the earliest other observation (a later screening or the first session's pre-session rating).
- Course start (t0): the first signed session; a client with no session yet: the earliest baseline.
- Times are whole seconds since the epoch (floored), so every engine compares and subtracts exactly.
- Course week of an observation: 1 + whole weeks since t0, counted from 12 hours before t0 so that a
  daylight-saving shift of an hour never moves a weekly session into the neighbouring week. Week 0 is the
  baseline. Observations before t0 (other than the baseline) are before the course and not counted.
- Weekly value: the mean of the week's observations (one value per week, so a week with two sessions
  does not count twice). "Now": the mean of the last `current_window_weeks` weekly values.
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

MEASURES = ("pain", "numbness", "tingling")
NRS_INSTRUMENTS = {f"nrs_{m}": m for m in MEASURES}
WEEK_SECONDS = 7 * 24 * 3600
WEEK_OFFSET_SECONDS = 12 * 3600

# Baseline priority groups; within a group the earliest wins, then responses before sessions, then id.
PRIO_INTAKE = 1
PRIO_CONDITION = 2
PRIO_OTHER = 3
KIND_RANK = {"response": 0, "condition": 0, "session": 1}


@dataclass(frozen=True)
class Obs:
    measure: str
    ts: dt.datetime
    value: float
    kind: str  # response · condition · session
    oid: int  # the row's id (response, condition or note)
    prio: int
    label: str = ""  # e.g. "intake screening", "session (before)", "re-evaluation screening"

    @property
    def seconds(self) -> int:
        return epoch_seconds(self.ts)

    @property
    def sort_key(self) -> tuple:
        return (self.prio, self.seconds, KIND_RANK[self.kind], self.oid)


@dataclass
class MeasureSeries:
    measure: str
    baseline: Obs | None
    t0: dt.datetime | None
    followups: list[tuple[int, Obs]] = field(default_factory=list)  # (course week, observation)
    before_course: list[Obs] = field(default_factory=list)
    weekly: list[tuple[int, float, int]] = field(default_factory=list)  # (week, mean, count)
    current: float | None = None
    n_weeks: int = 0
    last_week: int | None = None


def epoch_seconds(ts: dt.datetime) -> int:
    return math.floor(ts.timestamp())


def pick_baseline(observations: list[Obs]) -> Obs | None:
    return min(observations, key=lambda o: o.sort_key) if observations else None


def course_start(baselines: list[Obs | None], first_session: dt.datetime | None) -> dt.datetime | None:
    if first_session is not None:
        return first_session
    times = [b.ts for b in baselines if b is not None]
    return min(times) if times else None


def course_week(ts: dt.datetime, t0: dt.datetime) -> int:
    return (epoch_seconds(ts) - epoch_seconds(t0) + WEEK_OFFSET_SECONDS) // WEEK_SECONDS + 1


def weekly_values(followups: list[tuple[int, Obs]]) -> list[tuple[int, float, int]]:
    by_week: dict[int, list[float]] = defaultdict(list)
    for week, obs in followups:
        by_week[week].append(obs.value)
    return [(w, sum(v) / len(v), len(v)) for w, v in sorted(by_week.items())]


def build_series(
    observations: dict[str, list[Obs]], first_session: dt.datetime | None, current_window: int
) -> dict[str, MeasureSeries]:
    """Baseline, course weeks, weekly values and "now" for each rating of one client."""
    baselines = {m: pick_baseline(observations.get(m, [])) for m in MEASURES}
    t0 = course_start(list(baselines.values()), first_session)
    out: dict[str, MeasureSeries] = {}
    for m in MEASURES:
        base = baselines[m]
        series = MeasureSeries(measure=m, baseline=base, t0=t0)
        if base is None or t0 is None:
            out[m] = series
            continue
        for obs in sorted(observations.get(m, []), key=lambda o: o.sort_key):
            if obs is base or obs.kind == "condition":
                continue
            if obs.seconds < epoch_seconds(t0):
                series.before_course.append(obs)
                continue
            series.followups.append((course_week(obs.ts, t0), obs))
        series.followups.sort(key=lambda p: (p[0], p[1].seconds, p[1].oid))
        series.weekly = weekly_values(series.followups)
        series.n_weeks = len(series.weekly)
        if series.weekly:
            last = series.weekly[-current_window:]
            series.current = sum(v for _w, v, _n in last) / len(last)
            series.last_week = series.weekly[-1][0]
        out[m] = series
    return out


def weekly_up_to(series: MeasureSeries, week: int, current_window: int) -> tuple[float | None, int]:
    """("now", number of weeks) using only the weeks up to and including `week` (a re-evaluation point)."""
    weekly = [w for w in series.weekly if w[0] <= week]
    if not weekly:
        return None, 0
    last = weekly[-current_window:]
    return sum(v for _w, v, _n in last) / len(last), len(weekly)
