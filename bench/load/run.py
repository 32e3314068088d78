"""NerveCare load test: gunicorn + PostgreSQL on loopback, mixed traffic from locust, then a data check.

    uv run python bench/load/run.py --users 50 --duration 180            # the measurement (audit on)
    uv run python bench/load/run.py --users 50 --duration 180 --no-audit # same with NERVECARE_AUDIT=0
    uv run python bench/load/run.py --audit-compare                       # both runs, p95 cost of the audit
    uv run python bench/load/run.py --fault                               # kill -9 the server mid-run

What it does:
1. drops and creates the database (default postgres://postgres@127.0.0.1:5432/nc_load), migrates, and seeds a
   clinic sized for the load (bench/load/seed.py): one therapist + bearer token per simulated user;
2. starts gunicorn on 127.0.0.1 (its own process group) with DEBUG off, a SECRET_KEY, persistent database
   connections (CONN_MAX_AGE), the API rate limit raised out of the way (NERVECARE_API_RATE) and, unless
   --no-redis, Redis as the cache (REDIS_URL, db 6);
3. runs locust headless (bench/load/locustfile.py) for --duration seconds at --users users offering the target
   rates (JSON reads, bookings, weekly series, session notes, screenings, the dashboard page);
4. prints per category: requests, requests/s, p50/p95/p99 latency, conflicts (409 on a booking: the time was
   taken, an expected outcome), errors, and PASS/FAIL against the aims; writes the figures to JSON;
5. checks the database: every acknowledged write is there with the content sent; no two active appointments
   overlap for a therapist or a room (SQL); nothing half-written (every series has all its appointments, every
   note the adverse events it was sent with, every write its audit event when the audit trail is on).

--fault: in the middle of the run, SIGKILL the whole gunicorn process group (master and workers), start it
again a second later and let the load continue; requests that fail while it is down are counted apart
("outage"), not as errors, and the data check runs as above.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

AIMS = {
    "read": {"min_rps": 300.0, "p95_ms": 100.0},
    "booking": {"min_rps": 100.0, "p99_ms": 300.0},
}
# Target offered load (requests/s) per category; the reads and bookings are the aims, the rest a realistic mix.
DEFAULT_RATES = {
    "read": 300.0,
    "booking": 100.0,
    "series": 2.0,
    "note": 25.0,
    "screening": 25.0,
    "dashboard": 10.0,
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--duration", type=int, default=180, help="seconds of load")
    p.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nc_load"),
    )
    p.add_argument("--port", type=int, default=8106)
    p.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    p.add_argument(
        "--threads", type=int, default=1, help="threads per worker: 1 = sync workers, more = gthread"
    )
    p.add_argument(
        "--conn-max-age", type=int, default=60, help="CONN_MAX_AGE (seconds; 0 = a connection per request)"
    )
    p.add_argument("--no-redis", action="store_true", help="cache local to each process instead of Redis")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    p.add_argument("--no-audit", action="store_true", help="NERVECARE_AUDIT=0 (the audit trail switched off)")
    p.add_argument(
        "--audit-compare", action="store_true", help="run with the audit trail, then without; compare p95"
    )
    p.add_argument("--fault", action="store_true", help="kill -9 the app server mid-run and restart it")
    p.add_argument("--no-dashboard", action="store_true", help="leave the HTML dashboard page out of the mix")
    p.add_argument(
        "--scale", type=float, default=1.0, help="multiply every target rate (e.g. 0.3 on a busy machine)"
    )
    p.add_argument("--clients", type=int, default=5000)
    p.add_argument("--book-days", type=int, default=120, help="days ahead bookings are spread over")
    p.add_argument("--out", default=str(HERE / "results"), help="folder for the JSON figures and raw records")
    p.add_argument("--label", default="", help="a name for this run in the JSON file")
    return p.parse_args()


# --- database and server ----------------------------------------------------------------------------------


def interpreter() -> str:
    """Which Python serves, and how fast it is: the figures depend on it. (A source build without PGO/LTO, e.g.
    pyenv's default, runs this check 2.5x and an API request about 1.25x as slowly as Debian's python3.11;
    ./dev prefers the latter.)"""
    import platform
    import timeit

    ms = min(timeit.repeat("sum(range(1000))", number=20000, repeat=3)) * 1000
    return (
        f"{os.path.realpath(sys.executable)} (Python {platform.python_version()}; "
        f"speed check: 20,000 x sum(range(1000)) in {ms:.0f} ms)"
    )


def app_env(args: argparse.Namespace, data_dir: Path, audit: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "DJANGO_SETTINGS_MODULE": "nervecare.settings",
            "SECRET_KEY": "load-test-only-" + "x" * 40,
            "DEBUG": "0",
            "NERVECARE_TESTING": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "NERVECARE_DATA_DIR": str(data_dir),
            "CONN_MAX_AGE": str(args.conn_max_age),
            # The API rate limit (per user) is for real clients; this test drives 50 users at hundreds of
            # requests per second, so it is raised far out of the way.
            "NERVECARE_API_RATE": "1000000/s",
            "NERVECARE_API_ANON_RATE": "1000000/s",
            # Loopback HTTP: no TLS redirect, no HSTS (production sets these behind the proxy, deploy/).
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "NERVECARE_AUDIT": "1" if audit else "0",
            "LOG_LEVEL": "ERROR",
        }
    )
    if args.no_redis:
        env.pop("REDIS_URL", None)
    else:
        env["REDIS_URL"] = args.redis_url
    return env


def recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_server(args: argparse.Namespace, env: dict[str, str], log: Path) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{args.port}",
        "--workers", str(args.workers),
        "--worker-class", "gthread" if args.threads > 1 else "sync",
        "--threads", str(args.threads),
        "--max-requests", "0",  # no worker recycling in the middle of a measurement
        "--error-logfile", str(log),
    ]  # fmt: skip
    # A new session: the server is its own process group, so --fault can kill master and workers at once.
    # Django's own log (a 500's traceback) goes to the same file as gunicorn's.
    with log.open("a") as out:
        proc = subprocess.Popen(  # noqa: S603 - gunicorn from this venv, with the arguments above
            cmd, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=out
        )
    wait_ready(args.port, proc)
    return proc


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 240) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see its log")
        try:  # any HTTP answer (401 here: no credentials) means a worker is serving
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/services", timeout=5)  # noqa: S310
            return time.time()
        except urllib.error.HTTPError:
            return time.time()
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s")


def group_cpu_ms(master: int) -> float:
    """CPU used so far by gunicorn: the master, its live workers, and the workers it has reaped (a worker
    recycled after max_requests counts in the master's children's time), user + system, in ms."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid: int | str) -> list[str]:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return []

    f = stat(master)
    if not f:
        return float("nan")
    total = sum(int(x) for x in f[11:15])  # utime, stime, cutime, cstime
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        c = stat(child)
        if c:
            total += sum(int(x) for x in c[11:15])
    return total * 1000 / tick


def kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# --- statistics -------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summarise(rows: list[tuple], outage: tuple[float, float] | None) -> dict:
    t0 = min(r[0] for r in rows)
    t1 = max(r[0] + r[1] / 1000 for r in rows)
    span = t1 - t0
    cats: dict[str, dict] = defaultdict(
        lambda: {"lat": [], "ok": 0, "conflict": 0, "error": 0, "outage": 0, "codes": defaultdict(int)}
    )
    for started, ms, cat, _name, status, outcome in rows:
        c = cats[cat]
        if outcome == "error" and outage and started <= outage[1] and started + ms / 1000 >= outage[0]:
            c["outage"] += 1
            continue
        c[outcome] += 1
        if outcome == "error":
            c["codes"][status] += 1
        else:
            c["lat"].append(ms)
    out = {"seconds": round(span, 1), "categories": {}}
    for cat, c in sorted(cats.items()):
        n = c["ok"] + c["conflict"] + c["error"]
        out["categories"][cat] = {
            "requests": n,
            "rps": round(n / span, 1),
            "ok": c["ok"],
            "conflicts_409": c["conflict"],
            "errors": c["error"],
            "error_codes": dict(c["codes"]),
            "failed_during_outage": c["outage"],
            "p50_ms": round(pct(c["lat"], 0.50), 1),
            "p95_ms": round(pct(c["lat"], 0.95), 1),
            "p99_ms": round(pct(c["lat"], 0.99), 1),
            "mean_ms": round(statistics.fmean(c["lat"]), 1) if c["lat"] else None,
        }
    total = sum(v["requests"] for v in out["categories"].values())
    out["total"] = {
        "requests": total,
        "rps": round(total / span, 1),
        "errors": sum(v["errors"] for v in out["categories"].values()),
    }
    return out


def print_table(summary: dict, title: str) -> None:
    print(f"\n{title}  ({summary['seconds']} s)")
    head = f"{'category':<11}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'409':>7}{'errors':>8}{'outage':>8}"
    print(head)
    print("-" * len(head))
    for cat, v in summary["categories"].items():
        print(
            f"{cat:<11}{v['requests']:>9}{v['rps']:>8.1f}{v['p50_ms']:>9.1f}{v['p95_ms']:>9.1f}{v['p99_ms']:>9.1f}"
            f"{v['conflicts_409']:>7}{v['errors']:>8}{v['failed_during_outage']:>8}"
        )
        if v["error_codes"]:
            print(f"{'':<11}error statuses: {v['error_codes']} (0 = no HTTP answer)")
    t = summary["total"]
    print(f"{'total':<11}{t['requests']:>9}{t['rps']:>8.1f}{'':>36}{t['errors']:>8}")


def judge(summary: dict) -> list[tuple[str, bool, str]]:
    cats = summary["categories"]
    verdicts = []
    r, b = cats.get("read"), cats.get("booking")
    if r:
        verdicts.append(("JSON reads >= 300 req/s", r["rps"] >= AIMS["read"]["min_rps"], f"{r['rps']}/s"))
        verdicts.append(
            ("JSON reads p95 < 100 ms", r["p95_ms"] < AIMS["read"]["p95_ms"], f"{r['p95_ms']} ms")
        )
    if b:
        verdicts.append(
            (
                "bookings >= 100 req/s",
                b["rps"] >= AIMS["booking"]["min_rps"],
                f"{b['rps']}/s (incl. {b['conflicts_409']} conflicts)",
            )
        )
        verdicts.append(
            ("bookings p99 < 300 ms", b["p99_ms"] < AIMS["booking"]["p99_ms"], f"{b['p99_ms']} ms")
        )
    errors = summary["total"]["errors"]
    verdicts.append(("zero errors", errors == 0, str(errors)))
    return verdicts


# --- the data check ---------------------------------------------------------------------------------------


def verify(acks: list[dict], plan: dict, audit: bool) -> dict:
    """Every acknowledged write is in the database as sent; no double booking; nothing half-written."""
    import datetime as dt

    from django.db import connection

    from nervecare.core.models import AuditEvent
    from nervecare.scheduling.models import Appointment, Series
    from nervecare.screening.models import InstrumentResponse
    from nervecare.visits.models import AdverseEvent, SessionNote

    problems: list[str] = []
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for a in acks:
        by_kind[a["kind"]].append(a)

    # Bookings: the appointment exists, booked, for the client, therapist, room and time sent.
    booked = by_kind["booking"]
    rows = {a.id: a for a in Appointment.objects.filter(id__in=[b["got"]["id"] for b in booked])}
    for b in booked:
        a = rows.get(b["got"]["id"])
        s = b["sent"]
        if a is None:
            problems.append(f"booking {b['got']['id']} acknowledged but missing")
        elif (
            a.client_id != s["client_id"]
            or a.therapist_id != s["therapist_id"]
            or a.room_id != s.get("room_id")
            or a.starts_at != dt.datetime.fromisoformat(s["starts_at"])
            or a.status != "booked"
        ):
            problems.append(f"booking {a.id} differs from what was sent")

    # Series: all appointments of an acknowledged series exist; and no series in the database is partial.
    for sr in by_kind["series"]:
        n = Appointment.objects.filter(series_id=sr["got"]["series_id"]).count()
        if n != sr["sent"]["count"] or len(sr["got"]["ids"]) != n:
            problems.append(f"series {sr['got']['series_id']}: {n} appointments, {sr['sent']['count']} sent")
    partial_series = [
        s.id
        for s in Series.objects.filter(client__clinic_id=plan["clinic_id"])
        if s.appointments.count() != s.count
    ]
    if partial_series:
        problems.append(
            f"half-written series (appointment count differs from the series): {partial_series[:10]}"
        )

    # Notes: the note of the appointment holds what was sent (ratings, text, areas, adverse events).
    notes = by_kind["note"]
    stored = {
        n.id: n
        for n in SessionNote.objects.filter(id__in=[x["got"]["id"] for x in notes]).prefetch_related(
            "adverse_events"
        )
    }
    for x in notes:
        n = stored.get(x["got"]["id"])
        s = x["sent"]
        if n is None:
            problems.append(f"note {x['got']['id']} acknowledged but missing")
            continue
        fields = [
            f for f in s if f.endswith(("_before", "_after")) or f in {"subjective", "pressure", "minutes"}
        ]
        if n.appointment_id != s["appointment_id"] or any(getattr(n, f) != s[f] for f in fields):
            problems.append(f"note {n.id} differs from what was sent")
        if n.areas_treated != s["areas_treated"]:
            problems.append(f"note {n.id}: areas differ")
        if len(n.adverse_events.all()) != len(s["adverse_events"]):
            problems.append(
                f"note {n.id}: {len(n.adverse_events.all())} adverse events, {len(s['adverse_events'])} sent"
            )
    # Every load-written note in the database (acknowledged or not) has the adverse events its text announces.
    for n in SessionNote.objects.filter(subjective__startswith="load ").only("id", "subjective"):
        want = int(n.subjective.rsplit("ae=", 1)[1])
        have = AdverseEvent.objects.filter(note_id=n.id).count()
        if want != have:
            problems.append(f"half-written note {n.id}: {have} adverse events, {want} written with it")

    # Screenings: stored with the instrument, answers and total.
    scr = by_kind["screening"]
    stored_r = {r.id: r for r in InstrumentResponse.objects.filter(id__in=[x["got"]["id"] for x in scr])}
    for x in scr:
        r = stored_r.get(x["got"]["id"])
        s = x["sent"]
        if r is None:
            problems.append(f"screening {x['got']['id']} acknowledged but missing")
        elif r.client_id != s["client_id"] or r.instrument != s["instrument"] or r.answers != s["answers"]:
            problems.append(f"screening {r.id} differs from what was sent")

    # The audit event of each acknowledged write (written in the same transaction as the write).
    missing_audit = 0
    if audit:
        for kind, label, ids in (
            ("booking", "scheduling.appointment", [b["got"]["id"] for b in booked]),
            ("note", "visits.sessionnote", [x["got"]["id"] for x in notes]),
            ("screening", "screening.instrumentresponse", [x["got"]["id"] for x in scr]),
        ):
            have = set(
                AuditEvent.objects.filter(
                    object_type=label, action="create", object_id__in=[str(i) for i in ids]
                ).values_list("object_id", flat=True)
            )
            gone = [i for i in ids if str(i) not in have]
            missing_audit += len(gone)
            if gone:
                problems.append(
                    f"{len(gone)} acknowledged {kind}s without their audit event, e.g. {gone[:5]}"
                )

    # The audit trail: every event sealed into its clinic's chain, and the chains verify. Deferred sealing
    # leaves the last second's events pending when the load stops (and those of a killed server): count
    # them, seal them as the job queue would, then verify every chain from the first event.
    chain = {}
    if audit:
        from nervecare.core import audit as audit_trail

        chain["pending_at_end"] = audit_trail.pending_count()
        chain["sealed_now"] = audit_trail.seal()
        reports = list(audit_trail.verify(seal_first=False))
        chain["events_verified"] = sum(r.events for r in reports)
        chain["broken"] = [str(r.broken) for r in reports if r.broken is not None]
        if chain["broken"] or any(r.pending for r in reports):
            problems.append(f"audit chain: {chain}")

    # No double booking: with rows in start order, a row starting before the latest end of the rows before it
    # (same therapist, or same room) overlaps one of them. Active statuses only; half-open intervals.
    blocking = "('booked', 'checked_in', 'completed', 'no_show')"
    overlaps = {}
    with connection.cursor() as cur:
        for col in ("therapist_id", "room_id", "client_id"):
            cur.execute(
                f"""
                SELECT count(*) FROM (
                    SELECT starts_at, max(blocked_until) OVER (
                        PARTITION BY {col} ORDER BY starts_at, id
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
                    FROM scheduling_appointment
                    WHERE clinic_id = %s AND status IN {blocking} AND {col} IS NOT NULL
                      AND (%s OR starts_at > %s)
                ) t WHERE starts_at < prev_end
                """,  # noqa: S608 - column names from the tuple above, not input
                [plan["clinic_id"], col != "client_id", plan["seeded_at"]],
            )
            overlaps[col.removesuffix("_id")] = cur.fetchone()[0]
    if overlaps["therapist"] or overlaps["room"]:
        problems.append(f"double bookings: {overlaps}")
    return {
        "acknowledged": {k: len(v) for k, v in by_kind.items()},
        "missing_audit_events": missing_audit if audit else None,
        "audit_chain": chain or None,
        "overlaps": overlaps,
        "problems": problems,
        "ok": not problems,
    }


# --- one run ----------------------------------------------------------------------------------------------


def one_run(args: argparse.Namespace, *, audit: bool, label: str) -> dict:
    import django

    run_dir = Path(args.out) / label
    run_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(args.out) / "var"  # static files, the job queue file without Redis
    data_dir.mkdir(parents=True, exist_ok=True)
    env = app_env(args, data_dir, audit)
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "DJANGO_SETTINGS_MODULE",
                "SECRET_KEY",
                "DEBUG",
                "NERVECARE_DATA_DIR",
                "ALLOWED_HOSTS",
            )
        }
    )
    if not port_free(args.port):
        raise SystemExit(f"port {args.port} is in use: stop what runs there or pass --port")

    print(f"== {label}: database {args.database_url} (dropped and created), audit {'on' if audit else 'off'}")
    recreate_database(args.database_url)
    if not args.no_redis:  # the cache described the dropped database (API tokens): empty the test's Redis db
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
    from django.db import connections

    connections.close_all()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    from seed import seed

    t = time.time()
    plan = seed(
        therapists=max(args.users, 10),
        clients=args.clients,
        rooms=20,
        note_pool=max(
            200, int(DEFAULT_RATES["note"] * args.scale * args.duration * 1.5 / max(args.users, 10)) + 50
        ),
        history_clients=300,
        history_sessions=8,
        book_days=args.book_days,
    )
    # Fresh planner statistics, as autovacuum would gather them a minute after a bulk load: without them
    # PostgreSQL plans the freshly seeded tables as if they were empty (the dashboard took 2.5 s instead of 50 ms).
    with connections["default"].cursor() as cursor:
        cursor.execute("ANALYZE")
    connections.close_all()
    print(f"   seeded in {time.time() - t:.1f} s: {plan['counts']}")

    rates = {k: v * args.scale for k, v in DEFAULT_RATES.items()}
    log = run_dir / "gunicorn.log"
    server = start_server(args, env, log)
    kind = (
        f"gthread, {args.workers} workers x {args.threads} threads"
        if args.threads > 1
        else f"sync, {args.workers} workers"
    )
    print(f"   interpreter: {interpreter()}")
    print(
        f"   gunicorn up ({kind}, CONN_MAX_AGE={args.conn_max_age}, cache {'local' if args.no_redis else 'Redis'}"
        f", audit sealing {env.get('NERVECARE_AUDIT_SEAL', 'deferred') if audit else '-'})"
    )
    if args.no_dashboard:
        rates["dashboard"] = 0
    else:
        probe = urllib.request.Request(
            f"http://127.0.0.1:{args.port}/", headers={"Cookie": f"sessionid={plan['users'][0]['session']}"}
        )
        try:
            opener = urllib.request.build_opener(NoRedirect)
            status = opener.open(probe, timeout=10).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            print(
                f"   the dashboard page answered {status} to a seeded session (sign-in flow changed?): left out"
            )
            rates["dashboard"] = 0

    plan_file = run_dir / "plan.json"
    plan_file.write_text(json.dumps(plan | {"rates": rates, "users_count": args.users}))
    locust_env = dict(os.environ) | {"LOAD_PLAN": str(plan_file), "LOAD_OUT": str(run_dir)}
    cmd = [
        sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
        "--host", f"http://127.0.0.1:{args.port}", "-u", str(args.users), "-r", str(args.users),
        "-t", f"{args.duration}s", "--stop-timeout", "10", "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    print(
        f"   locust: {args.users} users for {args.duration} s, offered {sum(rates.values()):.0f} req/s {rates}"
    )
    cpu_start, load_start = group_cpu_ms(server.pid), os.getloadavg()
    locust = subprocess.Popen(  # noqa: S603 - locust from this venv, with the arguments above
        cmd, cwd=ROOT, env=locust_env, stdout=(run_dir / "locust.log").open("w"), stderr=subprocess.STDOUT
    )
    outage = None
    fault = None
    if args.fault:
        time.sleep(args.duration / 2)
        down = time.time()
        kill_group(server)
        print(
            f"   FAULT: kill -9 of gunicorn's process group (master + workers) at t+{args.duration / 2:.0f} s"
        )
        time.sleep(1)
        server = start_server(args, env, log)
        up = time.time()
        outage = (down, up + 1.0)  # a second of slack for requests refused on reconnect
        fault = {"killed_at": down, "answering_again_at": up, "down_seconds": round(up - down, 2)}
        print(f"   restarted: answering again after {up - down:.1f} s")
    locust.wait()
    app_cpu = group_cpu_ms(server.pid) - cpu_start if fault is None else float("nan")
    load_end = os.getloadavg()
    kill_group(server)

    rows = []
    with (run_dir / "requests.csv").open() as fh:
        for line in fh:
            a, b, c, d, e, f = line.rstrip("\n").split(",")
            rows.append((float(a), float(b), c, d, int(e), f))
    acks = [json.loads(line) for line in (run_dir / "acks.jsonl").open()]
    summary = summarise(rows, outage)
    print_table(
        summary,
        f"{label}: {args.users} users, audit {'on' if audit else 'off'}"
        + (", with a kill -9" if args.fault else ""),
    )
    served = summary["total"]["requests"]
    summary["app_cpu_ms_per_request"] = round(app_cpu / served, 2) if served else None
    print(
        f"   app CPU (gunicorn: master and workers): {app_cpu / 1000:.1f} s for {served} requests = "
        f"{summary['app_cpu_ms_per_request']} ms per request; load average {load_start[0]:.2f} at the start, "
        f"{load_end[0]:.2f} at the end (other work on the machine counts in the latencies, not in this CPU)"
    )
    verdicts = judge(summary)
    for name, ok, value in verdicts:
        print(f"   {'PASS' if ok else 'FAIL'}  {name}: {value}")

    t = time.time()
    check = verify(acks, plan, audit)
    connections.close_all()
    print(f"\n   data check ({time.time() - t:.1f} s): acknowledged writes {check['acknowledged']}")
    print(
        f"   overlapping active appointments: therapist {check['overlaps']['therapist']}, room {check['overlaps']['room']}"
        f" (clients, new bookings: {check['overlaps']['client']})"
    )
    if check["audit_chain"]:
        c = check["audit_chain"]
        print(
            f"   audit trail: {c['pending_at_end']} events waiting for their seal when the load stopped, sealed "
            f"{c['sealed_now']}; {c['events_verified']} events verified, broken links: {len(c['broken'])}"
        )
    for p in check["problems"][:20]:
        print(f"   PROBLEM: {p}")
    print(
        f"   {'PASS' if check['ok'] else 'FAIL'}  every acknowledged write present as sent, no double booking, nothing half-written"
    )

    result = {
        "label": label,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(), "python": interpreter()},
        "config": {
            "users": args.users,
            "duration_s": args.duration,
            "workers": args.workers,
            "threads": args.threads,
            "conn_max_age": args.conn_max_age,
            "cache": "local" if args.no_redis else "redis",
            "audit": audit,
            "fault": args.fault,
            "offered_rates": rates,
        },
        "summary": summary,
        "aims": [{"aim": n, "pass": ok, "value": v} for n, ok, v in verdicts],
        "fault": fault,
        "data_check": check,
    }
    (Path(args.out) / f"{label}.json").write_text(json.dumps(result, indent=2, default=str))
    return result


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):  # noqa: ANN002, ANN003
        return None


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(HERE))
    if args.audit_compare:
        with_audit = one_run(args, audit=True, label=args.label or "audit-on")
        without = one_run(args, audit=False, label=(args.label + "-" if args.label else "") + "audit-off")
        compare(with_audit, without)
        return
    label = args.label or ("fault" if args.fault else ("audit-off" if args.no_audit else "audit-on"))
    result = one_run(args, audit=not args.no_audit, label=label)
    if args.no_audit:
        previous = Path(args.out) / "audit-on.json"
        if previous.exists():
            compare(json.loads(previous.read_text()), result)
        else:
            print(
                "   (no audit-on.json yet to compare with: run without --no-audit first, or --audit-compare)"
            )


def compare(on: dict, off: dict) -> None:
    print("\nThe audit trail's cost (p95, audit on vs off; aim: under 10%)")
    from django.conf import settings

    if not hasattr(settings, "NERVECARE_AUDIT"):
        print(
            "   NOTE: this code has no NERVECARE_AUDIT setting: both runs had the audit trail on (noise only)"
        )
    for cat in on["summary"]["categories"]:
        a = on["summary"]["categories"][cat]["p95_ms"]
        b = off["summary"]["categories"].get(cat, {}).get("p95_ms")
        if b:
            cost = (a - b) / b * 100
            print(
                f"   {cat:<11} p95 {a:7.1f} ms vs {b:7.1f} ms  cost {cost:+6.1f}%  {'PASS' if cost < 10 else 'FAIL'}"
            )
    if on["config"] != {**off["config"], "audit": True}:
        print("   (the two runs' configurations differ: compare with care)")


if __name__ == "__main__":
    main()
