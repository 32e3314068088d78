"""Power and false-positive rate of the single-client trial analysis (issue 21 point 4), by simulation.

Each simulated trial draws its schedule at random among the admissible ones (as a real trial does), simulates
daily 0-10 ratings with AR(1) carry-over (phi), day-to-day noise (sd), a share of missed days, and an effect of
`effect` points in the B phases, and runs the randomisation test (one-sided: B lowers the rating, alpha 0.05).
It prints, per design and effect, the share of trials with p <= 0.05: the false-positive rate for effect 0 (must
stay at or below 0.05 up to Monte Carlo error), the power otherwise; and, for a subset, the coverage of the
AR(1) regression's 95% interval (statsmodels; slower).

    uv run python bench/trial_power.py            # 2000 trials per cell, 200 for the interval coverage
    uv run python bench/trial_power.py -n 4000 --coverage 400
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nervecare.settings_test")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from nervecare.trials.design import admissible_schedules  # noqa: E402
from nervecare.trials.simulation import Scenario, run  # noqa: E402

DESIGNS = [  # (weeks, phases, shortest phase in weeks, rating every n days)
    (12, 4, 2, 1),
    (16, 4, 2, 1),
    (16, 4, 2, 2),
    (20, 4, 3, 1),
    (18, 6, 2, 1),
    (24, 6, 2, 1),
]
EFFECTS = [0.0, -1.0, -1.5, -2.0, -3.0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000, help="simulated trials per cell")
    parser.add_argument(
        "--coverage", type=int, default=200, help="trials for the interval coverage (0: skip)"
    )
    parser.add_argument("--sd", type=float, default=1.5)
    parser.add_argument("--phi", type=float, default=0.3)
    parser.add_argument("--missing", type=float, default=0.1)
    args = parser.parse_args()
    print(
        f"Randomisation test, alpha 0.05 one-sided; daily noise SD {args.sd}, AR(1) {args.phi}, "
        f"{args.missing:.0%} of rating days missed; {args.n} simulated trials per cell "
        f"(Monte Carlo SE at 0.05: {math.sqrt(0.05 * 0.95 / args.n):.3f})."
    )
    header = "design".ljust(30) + "schedules".rjust(10) + "".join(f"{e:+.1f}".rjust(8) for e in EFFECTS)
    print(header)
    started = time.perf_counter()
    for weeks, phases, minimum, every in DESIGNS:
        n_sched = len(
            admissible_schedules(
                weeks_total=weeks, phases=phases, min_phase_weeks=minimum, randomise_first=False
            )
        )
        rates = []
        for i, effect in enumerate(EFFECTS):
            s = Scenario(
                weeks_total=weeks,
                phases=phases,
                min_phase_weeks=minimum,
                every=every,
                effect=effect,
                sd=args.sd,
                phi=args.phi,
                missing=args.missing,
            )
            rates.append(
                run(s, args.n, seed=1000 * weeks + 100 * phases + 10 * every + i).rejection_rate(0.05)
            )
        label = f"{'ABAB' if phases == 4 else 'ABABAB'} {weeks} wk, min {minimum}, every {every} d"
        print(label.ljust(30) + str(n_sched).rjust(10) + "".join(f"{r:8.3f}" for r in rates))
    print(
        f"({time.perf_counter() - started:.1f} s; columns: the effect in points, B - A; the 0.0 column is the false-positive rate)"
    )
    if args.coverage:
        started = time.perf_counter()
        for effect in (0.0, -2.0):
            s = Scenario(
                weeks_total=16,
                phases=4,
                min_phase_weeks=2,
                effect=effect,
                sd=args.sd,
                phi=args.phi,
                missing=args.missing,
            )
            runs = run(s, args.coverage, seed=77 + int(effect), with_regression=True)
            cov = runs.covered[~np.isnan(runs.covered)]
            print(
                f"AR(1) regression 95% CI, ABAB 16 wk, effect {effect:+.1f}: coverage {cov.mean():.3f} "
                f"over {cov.size} fits, mean estimate {np.nanmean(runs.estimates):+.2f}"
            )
        print(f"({time.perf_counter() - started:.1f} s for the regression fits)")


if __name__ == "__main__":
    main()
