"""Three everyday operations over HTTP, each beside its floor, in one run (issue 20).

    uv run python bench/ops_bench.py                 # N = 1,000 per operation, PostgreSQL on 127.0.0.1
    uv run python bench/ops_bench.py -n 200          # quicker
    uv run python bench/ops_bench.py --json out.json # the figures as JSON too

The rules (the same as the side-by-side run with the peer system in issue 20): PostgreSQL with fsync and
synchronous commit on, one sequential client, one request and one committed transaction per operation. NerveCare
runs under gunicorn with 1 sync worker, CONN_MAX_AGE=60, a bearer token and the audit trail on (DEBUG off).

Operations:
  create   POST /api/v1/clients: a client's intake (name, birth date, one condition)
  book     POST /api/v1/appointments: non-overlapping 30-minute slots with one therapist
  read     a client with their upcoming appointments and the therapist's name: one request to
           GET /api/v1/clients/{id}/overview where that route exists, else two requests (the client's record,
           then GET /api/v1/appointments?client_id=...), as before issue 20

Printed for each: ops/s, p50/p95/p99 latency, the server worker's CPU per operation (from /proc, user + system),
SQL statements per operation (the same requests replayed in-process through Django's test client on the same
database, every statement the app sends counted, savepoints included), and the worker's resident memory at the
end. In the same run, two floors:
  - the database floor: the operation's own rows (client + condition; appointment; the client and their
    appointments joined to the therapist) written or read by plain psycopg, one transaction per operation, with
    the INSERTs Django compiles for those models (so the same columns and values);
  - the framework floor: a bare Django JSON view reading one row, under the same gunicorn settings.
Every NerveCare figure is also printed as a multiple of its database floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

TICK = os.sysconf("SC_CLK_TCK")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=1000, help="operations of each kind")
    p.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nc_ops"),
    )
    p.add_argument("--port", type=int, default=8131)
    p.add_argument("--floor-port", type=int, default=8132)
    p.add_argument("--json", help="also write the figures to this JSON file")
    return p.parse_args()


# --- set-up -----------------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def app_env(url: str, data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "nervecare.settings",
            "SECRET_KEY": "ops-bench-only-" + "x" * 40,
            "DEBUG": "0",
            "NERVECARE_TESTING": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "NERVECARE_DATA_DIR": data_dir,
            "CONN_MAX_AGE": "60",
            "NERVECARE_API_RATE": "1000000/s",
            "NERVECARE_API_ANON_RATE": "1000000/s",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "NERVECARE_AUDIT": "1",
            "LOG_LEVEL": "ERROR",
        }
    )
    env.pop("REDIS_URL", None)
    return env


def seed() -> dict:
    """A clinic on UTC, one therapist (bearer token, every scope) working 00:00-24:00 every day, a 30-minute
    service without a buffer, and one client the read operation reads once it has appointments."""
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.core.scopes import vocabulary
    from nervecare.core.services import api_token_create
    from nervecare.scheduling.models import Service, WorkingHours
    from nervecare.screening.models import SafetyThresholds

    clinic = Clinic.objects.create(name="Ops bench clinic", slug="ops", timezone="UTC")
    SafetyThresholds.objects.get_or_create(clinic=clinic)
    service = Service.objects.create(
        clinic=clinic,
        code="swedish-30",
        name="30-min Swedish",
        modality="swedish",
        minutes=30,
        buffer_minutes=0,
    )
    user = User.objects.create(username="ops-t", clinic=clinic, role=User.Role.THERAPIST, email="t@ops.test")
    therapist = Therapist.objects.create(
        user=user, clinic=clinic, display_name="Therapist Ops", years_experience=5
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(therapist=therapist, weekday=d, start=dt.time(0), end=dt.time(23, 59)) for d in range(7)
    )
    _token, plain = api_token_create(user=user, name="ops bench", scopes=sorted(vocabulary()))
    return {"clinic": clinic.pk, "therapist": therapist.pk, "service": service.pk, "token": plain}


def create_body(i: int) -> dict:
    return {
        "client": {"first_name": f"Bench{i:05d}", "last_name": "Client", "date_of_birth": "1956-03-14"},
        "conditions": [{"type": "peripheral", "cause": "diabetes_t2", "numbness": 6, "pain": 5}],
    }


def slot(i: int) -> str:
    """The i-th 30-minute slot, from 09:00 UTC the day after tomorrow (never two bookings in one slot)."""
    base = dt.datetime.combine(
        dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC
    )
    return (base + dt.timedelta(minutes=30 * (i % 28) + 24 * 60 * (i // 28))).isoformat()


# --- the server -------------------------------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], port: int, log: Path, wsgi: str | None = None) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync", "--threads", "1",
        "--max-requests", "0", "--error-logfile", str(log),
    ]  # fmt: skip
    if wsgi:
        cmd.append(wsgi)
    out = log.open("a")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=out)  # noqa: S603
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer")


def has_overview_route() -> bool:
    """Whether the app offers the one-request read, asked of its URL map in this process (the same code the
    worker runs), not of the worker: fetching the OpenAPI document there would build every API schema's
    validator in the worker (about 28 MiB) before its memory is read, which no operation measured here does."""
    from django.urls import Resolver404, resolve

    try:
        return resolve("/api/v1/clients/1/overview").route.endswith("overview")
    except Resolver404:
        return False


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def request(
    port: int, method: str, path: str, token: str | None, body: dict | None = None
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, (json.loads(data) if data[:1] in (b"{", b"[") else {})


# --- measuring --------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def figures(lat_ms: list[float], wall: float, cpu: float | None, n: int) -> dict:
    return {
        "ops_per_s": round(n / wall, 1),
        "p50_ms": round(pct(lat_ms, 0.5), 2),
        "p95_ms": round(pct(lat_ms, 0.95), 2),
        "p99_ms": round(pct(lat_ms, 0.99), 2),
        "cpu_ms_per_op": None if cpu is None else round(cpu / n, 2),
    }


def timed(ops, pid: int | None) -> dict:
    lat: list[float] = []
    c0 = cpu_ms(pid) if pid else None
    t0 = time.perf_counter()
    for op in ops:
        s = time.perf_counter()
        op()
        lat.append((time.perf_counter() - s) * 1000)
    wall = time.perf_counter() - t0
    cpu = cpu_ms(pid) - c0 if pid and c0 is not None else None
    return figures(lat, wall, cpu, len(lat))


def http_ops(
    port: int, token: str, seeded: dict, n: int, pid: int, has_overview: bool
) -> tuple[dict, list[int]]:
    out: dict[str, dict] = {}
    client_ids: list[int] = []

    def create(i: int):
        def op() -> None:
            status, body = request(port, "POST", "/api/v1/clients", token, create_body(i))
            if status != 201:
                raise SystemExit(f"create answered {status}: {body}")
            client_ids.append(body["id"])

        return op

    out["create"] = timed([create(i) for i in range(n)], pid)

    def book(i: int):
        def op() -> None:
            payload = {
                "client_id": client_ids[i % len(client_ids)],
                "therapist_id": seeded["therapist"],
                "service_id": seeded["service"],
                "starts_at": slot(i),
            }
            status, body = request(port, "POST", "/api/v1/appointments", token, payload)
            if status != 201:
                raise SystemExit(f"book answered {status}: {body}")

        return op

    out["book"] = timed([book(i) for i in range(n)], pid)

    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    end = start + dt.timedelta(days=90)

    def read(i: int):
        cid = client_ids[i % len(client_ids)]

        def op() -> None:
            if has_overview:
                status, body = request(port, "GET", f"/api/v1/clients/{cid}/overview", token)
                if status != 200:
                    raise SystemExit(f"overview answered {status}: {body}")
                return
            status, body = request(port, "GET", f"/api/v1/clients/{cid}", token)
            if status != 200:
                raise SystemExit(f"client read answered {status}: {body}")
            q = f"client_id={cid}&start={start.isoformat().replace('+', '%2B')}&end={end.isoformat().replace('+', '%2B')}"
            status, body = request(port, "GET", f"/api/v1/appointments?{q}", token)
            if status != 200 or not body:
                raise SystemExit(f"appointments answered {status}: {body}")

        return op

    out["read"] = timed([read(i) for i in range(n)], pid)
    return out, client_ids


def statement_counts(token: str, seeded: dict, client_ids: list[int], n: int, has_overview: bool) -> dict:
    """The same requests in-process (Django's test client, the same database), every statement counted."""
    from django.db import connection
    from django.test import Client as TestClient

    counts: dict[str, list[int]] = {"create": [], "book": [], "read": []}
    current: list[str] = []

    def counter(execute, sql, params, many, context):
        current.append(sql)
        return execute(sql, params, many, context)

    tc = TestClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    tc.get("/api/v1/services")  # the connection is open before the first counted request
    k = min(n, 30)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    end = start + dt.timedelta(days=90)
    with connection.execute_wrapper(counter):
        for i in range(k):
            current.clear()
            r = tc.post("/api/v1/clients", create_body(10_000 + i), content_type="application/json")
            assert r.status_code == 201, r.content
            counts["create"].append(len(current))
            cid = r.json()["id"]
            current.clear()
            payload = {
                "client_id": cid,
                "therapist_id": seeded["therapist"],
                "service_id": seeded["service"],
                "starts_at": slot(n + i),
            }
            r = tc.post("/api/v1/appointments", payload, content_type="application/json")
            assert r.status_code == 201, r.content
            counts["book"].append(len(current))
            current.clear()
            if has_overview:
                r = tc.get(f"/api/v1/clients/{cid}/overview")
                assert r.status_code == 200, r.content
            else:
                tc.get(f"/api/v1/clients/{cid}")
                tc.get(
                    "/api/v1/appointments",
                    {"client_id": cid, "start": start.isoformat(), "end": end.isoformat()},
                )
            counts["read"].append(len(current))
    return {op: int(statistics.median(v)) for op, v in counts.items()}


def database_floor(url: str, seeded: dict, n: int) -> dict:
    """The operations' own rows through plain psycopg, one transaction per operation, with the INSERTs Django
    compiles for the same models (so the same columns and values), in a new connection kept open."""
    import psycopg
    from django.db import connection
    from django.db.models.sql import InsertQuery

    from nervecare.clients.models import Client, Condition
    from nervecare.core.models import Clinic, Therapist
    from nervecare.scheduling.models import Appointment, Service

    def insert_sql(model, obj) -> tuple[str, list]:
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        q = InsertQuery(model)
        q.insert_values(fields, [obj])
        compiler = q.get_compiler(connection=connection)
        compiler.returning_fields = [model._meta.pk]
        (sql, params), *_ = compiler.as_sql()
        return sql, list(params)

    clinic = Clinic.objects.get(pk=seeded["clinic"])
    therapist = Therapist.objects.get(pk=seeded["therapist"])
    service = Service.objects.get(pk=seeded["service"])
    now = dt.datetime.now(dt.UTC)
    client_proto = Client(
        clinic=clinic, first_name="Floor", last_name="Client", date_of_birth=dt.date(1956, 3, 14),
        primary_therapist=therapist, created_at=now, updated_at=now,
    )  # fmt: skip
    client_sql, client_params = insert_sql(Client, client_proto)
    cond_proto = Condition(
        client=client_proto,
        type="peripheral",
        cause="diabetes",
        numbness=6,
        pain=5,
        created_at=now,
        updated_at=now,
    )
    cond_proto.client_id = 0
    cond_sql, cond_params = insert_sql(Condition, cond_proto)
    client_fk = [f.column for f in Condition._meta.local_concrete_fields if not f.primary_key].index(
        "client_id"
    )

    conn = psycopg.connect(url.replace("postgres://", "postgresql://"))
    ids: list[int] = []
    out: dict[str, dict] = {}

    def create(i: int):
        def op() -> None:
            with conn.transaction():
                cur = conn.execute(client_sql, client_params)
                cid = cur.fetchone()[0]
                params = list(cond_params)
                params[client_fk] = cid
                conn.execute(cond_sql, params)
            ids.append(cid)

        return op

    t0 = time.process_time()
    out["create"] = timed([create(i) for i in range(n)], None)
    out["create"]["cpu_ms_per_op"] = round((time.process_time() - t0) * 1000 / n, 2)

    appt_proto = Appointment(
        clinic=clinic, client_id=0, therapist=therapist, service=service, created_at=now, updated_at=now,
        starts_at=now, ends_at=now, blocked_until=now, status="booked",
    )  # fmt: skip
    appt_sql, appt_params = insert_sql(Appointment, appt_proto)
    cols = [f.column for f in Appointment._meta.local_concrete_fields if not f.primary_key]
    i_client, i_start, i_end, i_block = (
        cols.index(c) for c in ("client_id", "starts_at", "ends_at", "blocked_until")
    )

    def book(i: int):
        def op() -> None:
            start = dt.datetime.fromisoformat(slot(n + 50 + i))
            params = list(appt_params)
            params[i_client] = ids[i % len(ids)]
            params[i_start] = start
            params[i_end] = params[i_block] = start + dt.timedelta(minutes=30)
            with conn.transaction():
                conn.execute(appt_sql, params)

        return op

    t0 = time.process_time()
    out["book"] = timed([book(i) for i in range(n)], None)
    out["book"]["cpu_ms_per_op"] = round((time.process_time() - t0) * 1000 / n, 2)

    read_client = f"SELECT * FROM {Client._meta.db_table} WHERE id = %s"  # noqa: S608 - model table names
    read_appts = (
        f"SELECT a.id, a.starts_at, a.ends_at, a.status, t.id, t.display_name "  # noqa: S608 - model tables
        f"FROM {Appointment._meta.db_table} a JOIN {Therapist._meta.db_table} t ON t.id = a.therapist_id "
        f"WHERE a.client_id = %s AND a.starts_at >= now() ORDER BY a.starts_at"
    )

    def read(i: int):
        def op() -> None:
            with conn.transaction():
                conn.execute(read_client, [ids[i % len(ids)]]).fetchall()
                conn.execute(read_appts, [ids[i % len(ids)]]).fetchall()

        return op

    t0 = time.process_time()
    out["read"] = timed([read(i) for i in range(n)], None)
    out["read"]["cpu_ms_per_op"] = round((time.process_time() - t0) * 1000 / n, 2)
    out["statements"] = {"create": 2, "book": 1, "read": 2}
    conn.close()
    return out


def framework_floor(env: dict[str, str], port: int, n: int, log: Path) -> dict:
    env = dict(env)
    env["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(HERE / "floor"), str(ROOT), env.get("PYTHONPATH", "")])
    proc = start_gunicorn(env, port, log, wsgi="django.core.wsgi:get_wsgi_application()")
    try:
        pid = worker_pid(proc.pid)
        ops = [lambda: request(port, "GET", "/one-row", None) for _ in range(n)]
        result = timed(ops, pid)
        result["rss_mib"] = round(rss_mib(pid), 1)
        return result
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()


def main() -> None:
    args = parse_args()
    data_dir = tempfile.mkdtemp(prefix="nc-ops-")
    env = app_env(args.database_url, data_dir)
    os.environ.update(env)
    recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seeded = seed()
    log = Path(data_dir) / "gunicorn.log"
    print(f"# ops_bench: N = {args.n} per operation; PostgreSQL {args.database_url}; {os.cpu_count()} CPUs; "
          f"load {os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]}")  # fmt: skip

    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW fsync")
        fsync = cur.fetchone()[0]
        cur.execute("SHOW synchronous_commit")
        sync = cur.fetchone()[0]
    print(f"# fsync={fsync} synchronous_commit={sync}")
    connection.close()

    proc = start_gunicorn(env, args.port, log)
    try:
        pid = worker_pid(proc.pid)
        # The one-request read where the route exists (the published OpenAPI says).
        has_overview = has_overview_route()
        rss_start = round(rss_mib(pid), 1)
        nc, client_ids = http_ops(args.port, seeded["token"], seeded, args.n, pid, has_overview)
        rss = round(rss_mib(pid), 1)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
    stmts = statement_counts(seeded["token"], seeded, client_ids, args.n, has_overview)
    floor = database_floor(args.database_url, seeded, args.n)
    fw = framework_floor(env, args.floor_port, args.n, log)

    print(
        f"\nread = {'one request (/clients/{id}/overview)' if has_overview else 'two requests (record + appointments)'}"
    )
    head = f"{'operation':<10}{'':<11}{'ops/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'CPU ms/op':>11}{'SQL/op':>8}"
    print(head)
    print("-" * len(head))
    for op in ("create", "book", "read"):
        a, f = nc[op], floor[op]
        print(f"{op:<10}{'NerveCare':<11}{a['ops_per_s']:>8}{a['p50_ms']:>9}{a['p95_ms']:>9}{a['p99_ms']:>9}"
              f"{a['cpu_ms_per_op']:>11}{stmts[op]:>8}")  # fmt: skip
        print(f"{'':<10}{'db floor':<11}{f['ops_per_s']:>8}{f['p50_ms']:>9}{f['p95_ms']:>9}{f['p99_ms']:>9}"
              f"{f['cpu_ms_per_op']:>11}{floor['statements'][op]:>8}")  # fmt: skip
        print(f"{'':<10}{'÷ floor':<11}{a['ops_per_s'] / f['ops_per_s']:>8.2f}{a['p50_ms'] / f['p50_ms']:>9.1f}"
              f"{a['p95_ms'] / f['p95_ms']:>9.1f}{a['p99_ms'] / f['p99_ms']:>9.1f}"
              f"{a['cpu_ms_per_op'] / max(f['cpu_ms_per_op'], 0.01):>11.1f}{stmts[op] / floor['statements'][op]:>8.1f}")  # fmt: skip
    print(f"{'one row':<10}{'Django':<11}{fw['ops_per_s']:>8}{fw['p50_ms']:>9}{fw['p95_ms']:>9}{fw['p99_ms']:>9}"
          f"{fw['cpu_ms_per_op']:>11}{1:>8}")  # fmt: skip
    print(
        f"\nworker RSS at the end: NerveCare {rss} MiB (at start-up {rss_start}), bare Django view {fw['rss_mib']} MiB"
        " (aim <= 120 MiB)"
    )
    targets = {"create": 15, "book": 6, "read": 4}
    for op, limit in targets.items():
        verdict = "PASS" if stmts[op] <= limit else "FAIL"
        print(f"{verdict}: {op} uses {stmts[op]} SQL statements per operation (target <= {limit})")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "n": args.n,
                    "nervecare": nc,
                    "statements": stmts,
                    "db_floor": floor,
                    "framework_floor": fw,
                    "rss_mib": rss,
                    "rss_mib_start": rss_start,
                    "read_one_request": has_overview,
                },  # fmt: skip
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
