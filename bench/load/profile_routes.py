"""SQL queries and server time per request for the load test's routes, in one process (no HTTP, no locust).

Run after bench/load/run.py has left its seeded database (nc_load) behind:

    uv run python bench/load/profile_routes.py [--repeat 30] [--database-url ...] [--cprofile "GET /clients/{id}"]

Counts the queries each route makes (an N+1 shows as a count that grows with the data) and times it
(median of --repeat, after one warm-up call): wall time, and the CPU time of this process alone (the app's
share, without PostgreSQL's), which depends less on what else the machine is doing. --cprofile prints the top functions for one route.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/nc_load")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--plan", default=str(HERE / "results" / "audit-on" / "plan.json"))
    p.add_argument("--cprofile", default="")
    args = p.parse_args()
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "DJANGO_SETTINGS_MODULE": "nervecare.settings",
            "SECRET_KEY": "load-test-only-" + "x" * 40,  # as run.py: the seeded sessions are signed with it
            "NERVECARE_API_RATE": "1000000/s",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "testserver",
        }
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    plan = json.loads(Path(args.plan).read_text())
    me = plan["users"][0]
    rng = random.Random(time.time())  # a fresh sequence of slots each run (a replay would only conflict)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {me['token']}")
    first = dt.date.fromisoformat(plan["book_first_day"])
    pool = list(me["note_pool"])

    def slot() -> str:
        day = first + dt.timedelta(days=rng.randrange(plan["book_days"]))
        return (
            dt.datetime.combine(day, dt.time(plan["day_start_hour"]), tzinfo=dt.UTC)
            + dt.timedelta(minutes=30 * rng.randrange(plan["slots_per_day"]))
        ).isoformat()

    routes = {
        "GET /clients/{id}": lambda: client.get(f"/api/v1/clients/{rng.choice(me['client_ids'])}"),
        "GET /clients?search": lambda: client.get("/api/v1/clients?search=Client001"),
        "GET /appointments?range": lambda: client.get(
            f"/api/v1/appointments?start={first}T00:00:00Z&end={first + dt.timedelta(days=1)}T00:00:00Z"
            f"&therapist_id={me['therapist_id']}"
        ),
        "GET /clients/{id}/outcomes": lambda: client.get(
            f"/api/v1/clients/{rng.choice(me['history_client_ids'] or me['client_ids'])}/outcomes"
        ),
        "POST /appointments": lambda: client.post(
            "/api/v1/appointments",
            {
                # the therapist's own client, with themself (as the load test books: anything else is refused)
                "client_id": rng.choice(me["client_ids"]),
                "therapist_id": me["therapist_id"],
                "service_id": plan["service_id"],
                "starts_at": slot(),
            },
            content_type="application/json",
        ),
        "PUT /appointments/{id}/note": lambda: client.put(
            f"/api/v1/appointments/{pool.pop()}/note",
            {
                "pressure": "light",
                "minutes": 30,
                "areas_treated": [{"region": "foot", "side": "left"}],
                "subjective": "profile ae=0",
                "pain_before": 5,
                "pain_after": 3,
                "soreness_after": 1,
            },
            content_type="application/json",
        ),  # fmt: skip
        "POST /clients/{id}/responses": lambda: client.post(
            f"/api/v1/clients/{rng.choice(me['client_ids'])}/responses",
            {"instrument": "nrs_pain", "answers": {"pain": 4}},
            content_type="application/json",
        ),
        "GET / (dashboard page)": lambda: Client(HTTP_COOKIE=f"sessionid={me['session']}").get("/"),
    }
    if args.cprofile:
        import cProfile
        import pstats

        fn = routes[args.cprofile]
        fn()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.repeat):
            fn()
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
            int(os.environ.get("PROFILE_LINES", "35"))
        )
        return
    print(f"{'route':<32}{'status':>7}{'queries':>9}{'median ms':>11}{'p95 ms':>9}{'app CPU ms':>12}")
    for name, fn in routes.items():
        fn()  # warm-up (imports, caches)
        times, queries, cpu, status = [], [], [], None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t, c = time.perf_counter(), time.process_time()
                r = fn()
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            queries.append(len(ctx.captured_queries))
            status = r.status_code
        times.sort()
        print(
            f"{name:<32}{status:>7}{statistics.median(queries):>9.0f}{statistics.median(times):>11.1f}"
            f"{times[int(len(times) * 0.95) - 1]:>9.1f}{statistics.median(cpu):>12.1f}"
        )


if __name__ == "__main__":
    main()
