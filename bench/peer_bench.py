"""NerveCare and GNU Health 5.0 (Tryton 7.0) side by side on the same three operations, alternating (issue 20).

    uv run python bench/peer_bench.py                  # N = 1,000 per operation
    uv run python bench/peer_bench.py -n 200 --json out.json

The peer runs from its own virtual environment and a template database prepared once (bench/README.md, "Side by
side with GNU Health", gives the commands); nothing of GNU Health is in this repository. Each run copies the
template into a fresh database, seeds it over JSON-RPC (one condition, one health professional tied to the admin
user) and starts `trytond` (its own JSON-RPC server, one process) beside NerveCare under gunicorn (1 sync worker,
CONN_MAX_AGE=60, bearer token, audit trail on, DEBUG off; the same set-up as ops_bench.py), both on the same
PostgreSQL and the same Python 3.11 interpreter.

The rules: one sequential client; the two systems alternate operation by operation (even i: NerveCare first,
odd i: the peer first), so both see the same machine; each request is timed from the client.

Operations and the requests each system needs for them:
  create  NerveCare: POST /api/v1/clients (name, birth date, one condition) - 1 request.
          GNU Health: model.party.party.create (a person, is_patient, no automatic patient), then
          model.gnuhealth.patient.create with the condition nested (a gnuhealth.patient.disease with its
          pathology) - 2 requests, 2 transactions: a Many2One cannot be created nested in Tryton, so the
          party cannot be written in the same call as the patient that points at it.
  book    NerveCare: POST /api/v1/appointments - 1 request. GNU Health: model.gnuhealth.appointment.create
          (patient, health professional, start, state confirmed; 30 minutes apart) - 1 request. GNU Health
          has no end time and no overlap check on appointments; NerveCare checks for double booking.
  read    NerveCare: GET /api/v1/clients/{id}/overview where the route exists (else the record, then the
          appointments: 2 requests). GNU Health: one model.gnuhealth.patient.read with nested fields (the
          party's name and birth date, the conditions' pathology, the appointments with the professional's
          name) - 1 request.

Printed for each system and operation: ops/s (N / the sum of that system's request times), p50/p95/p99, the
server process's CPU per operation (user + system from /proc: the gunicorn worker; the trytond process), and
its resident memory (VmRSS and peak VmHWM) after the timed part. Then a counting pass: with
`ALTER DATABASE ... SET log_statement = 'all'` on the two bench databases only (no restart of PostgreSQL, no
other database affected), both servers restarted so their connections pick it up, K more operations of each
kind per system; the statements PostgreSQL logged for each database are counted per operation, split into
work statements and transaction control (BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE), with the COMMITs per
operation; "proto" is the part of the work statements every request costs whatever it does (a connection's
SET and SELECT 1 checks, Tryton's session check). The setting is reset at the end.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ops_bench as ob  # noqa: E402 - the NerveCare half, next to this file

OPS = ("create", "book", "read")
CONTROL = re.compile(r"^\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
# Per request, not per operation: a connection's health check or reset, and Tryton's session check.
PROTOCOL = re.compile(r'^\s*(SET\b|SELECT 1\s*$|SELECT .* FROM "res_user_session")', re.IGNORECASE)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=1000, help="operations of each kind, per system")
    p.add_argument("-k", type=int, default=30, help="operations of each kind in the statement-counting pass")
    p.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nc_peer_ops"),
        help="NerveCare's bench database (dropped and created)",
    )
    p.add_argument("--port", type=int, default=8183, help="NerveCare's gunicorn")
    p.add_argument("--peer-port", type=int, default=8184, help="trytond's JSON-RPC server")
    p.add_argument(
        "--peer-venv",
        default="/tmp/peer",  # noqa: S108 - the set-up in bench/README.md
        help="the virtual environment holding gnuhealth 5.0",
    )
    p.add_argument(
        "--peer-template", default="gnuhealth_peer_tpl", help="database with the health module active"
    )
    p.add_argument(
        "--peer-db", default="gnuhealth_peer_run", help="the peer's bench database (dropped, copied)"
    )
    p.add_argument(
        "--peer-server",
        choices=("trytond", "gunicorn"),
        default="trytond",
        help="trytond's own server (as GNU Health ships it), or trytond.application:app under gunicorn "
        "(1 sync worker, no access log, as NerveCare; gunicorn installed in the peer's venv)",
    )
    p.add_argument("--peer-user", default="admin")
    p.add_argument("--peer-password", default="admin")
    p.add_argument(
        "--pg-log", default="/var/log/postgresql/postgresql-15-main.log", help="PostgreSQL's log file"
    )
    p.add_argument("--json", help="also write the figures to this JSON file")
    return p.parse_args()


# --- GNU Health over JSON-RPC ------------------------------------------------------------------------------


def tdate(d: dt.date) -> dict:
    return {"__class__": "date", "year": d.year, "month": d.month, "day": d.day}


def tdatetime(t: dt.datetime) -> dict:
    """Tryton's JSON form of a datetime: naive, in UTC."""
    t = t.astimezone(dt.UTC)
    return {
        "__class__": "datetime", "year": t.year, "month": t.month, "day": t.day,
        "hour": t.hour, "minute": t.minute, "second": t.second, "microsecond": t.microsecond,
    }  # fmt: skip


class TrytonRPC:
    """A JSON-RPC client of trytond, one keep-alive connection, a session from common.db.login."""

    def __init__(self, port: int, db: str) -> None:
        self.port, self.db = port, db
        self.auth: str | None = None
        self.conn: http.client.HTTPConnection | None = None
        self.seq = 0
        self.context: dict = {}

    def call(self, method: str, *params):
        body = json.dumps({"id": self.seq, "method": method, "params": list(params)})
        self.seq += 1
        headers = {"Content-Type": "application/json"}
        if self.auth:
            headers["Authorization"] = self.auth
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request("POST", f"/{self.db}/", body=body, headers=headers)
                resp = self.conn.getresponse()
                data = json.loads(resp.read())
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if data.get("error"):
            raise SystemExit(f"GNU Health {method} answered an error: {data['error']}")
        return data["result"]

    def login(self, user: str, password: str) -> int:
        uid, session = self.call("common.db.login", user, {"password": password})
        self.auth = "Session " + base64.b64encode(f"{user}:{uid}:{session}".encode()).decode()
        self.context = self.call("model.res.user.get_preferences", True, {})
        return uid

    def model(self, name: str, method: str, *args):
        return self.call(f"model.{name}.{method}", *args, self.context)


def peer_database(url: str, template: str, name: str) -> None:
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def start_trytond(venv: str, url: str, port: int, work: Path, server: str = "trytond") -> subprocess.Popen:
    base = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://")
    conf = work / "trytond.conf"
    (work / "peer-data").mkdir(exist_ok=True)
    conf.write_text(
        f"[database]\nuri = {base}/\npath = {work / 'peer-data'}\n\n[web]\nlisten = 127.0.0.1:{port}\n"
    )
    log = (work / "trytond.log").open("a")
    if server == "gunicorn":
        cmd = [
            f"{venv}/bin/gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "sync",
            "--threads", "1", "--max-requests", "0", "--timeout", "120", "trytond.application:app",
        ]  # fmt: skip
    else:
        cmd = [f"{venv}/bin/trytond", "-c", str(conf)]
    env = {**os.environ, "TRYTOND_CONFIG": str(conf)}
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=log, stderr=log, env=env)  # noqa: S603
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"trytond exited with {proc.returncode}; see {work / 'trytond.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/", body='{"id":0,"method":"common.server.version","params":[]}')
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.3)
    raise SystemExit("trytond did not answer")


def peer_seed(rpc: TrytonRPC, uid: int) -> dict:
    """One condition (pathology) and one health professional, a person tied to the logged-in user (GNU Health
    asks for the user's professional when a patient's condition is recorded)."""
    pathology = rpc.model(
        "gnuhealth.pathology",
        "create",
        [{"name": "Type 2 diabetes mellitus with diabetic polyneuropathy", "code": "E11.42-bench"}],
    )[0]
    mine = rpc.model(
        "gnuhealth.healthprofessional", "search", [["party.internal_user", "=", uid]], 0, 1, None
    )
    if mine:  # a template already seeded by hand
        return {"pathology": pathology, "healthprof": mine[0]}
    party = rpc.model(
        "party.party",
        "create",
        [{"name": "Therapist", "lastname": "Ops", "is_person": True, "is_healthprof": True, "gender": "f",
          "fed_country": "XXX", "internal_user": uid}],
    )[0]  # fmt: skip
    healthprof = rpc.model("gnuhealth.healthprofessional", "create", [{"party": party}])[0]
    return {"pathology": pathology, "healthprof": healthprof}


class Peer:
    def __init__(self, rpc: TrytonRPC, seeded: dict) -> None:
        self.rpc, self.seeded = rpc, seeded
        self.patients: list[int] = []

    def create(self, i: int) -> None:
        (party,) = self.rpc.model(
            "party.party",
            "create",
            [{"name": f"Bench{i:05d}", "lastname": "Client", "dob": tdate(dt.date(1956, 3, 14)),
              "gender": "f", "is_person": True, "is_patient": True, "fed_country": "XXX",
              "create_target": False}],
        )  # fmt: skip
        (patient,) = self.rpc.model(
            "gnuhealth.patient",
            "create",
            [{"party": party, "diseases": [["create", [{"pathology": self.seeded["pathology"], "status": "c",
                                                         "is_active": True}]]]}],
        )  # fmt: skip
        self.patients.append(patient)

    def book(self, i: int, starts_at: str) -> None:
        self.rpc.model(
            "gnuhealth.appointment",
            "create",
            [{"patient": self.patients[i % len(self.patients)], "healthprof": self.seeded["healthprof"],
              "appointment_date": tdatetime(dt.datetime.fromisoformat(starts_at)), "state": "confirmed",
              "urgency": "a", "appointment_type": "outpatient", "visit_type": "followup"}],
        )  # fmt: skip

    def read(self, i: int) -> None:
        rows = self.rpc.model(
            "gnuhealth.patient",
            "read",
            [self.patients[i % len(self.patients)]],
            ["party.name", "party.lastname", "party.dob", "diseases.pathology.name",
             "appointments.appointment_date", "appointments.state", "appointments.healthprof.party.name",
             "appointments.healthprof.party.lastname"],
        )  # fmt: skip
        if not rows or not rows[0].get("appointments."):
            raise SystemExit(f"GNU Health read found no appointments: {rows}")


REQUESTS = {"peer": {"create": 2, "book": 1, "read": 1}}


# --- NerveCare over HTTP -----------------------------------------------------------------------------------


class NerveCare:
    def __init__(self, port: int, seeded: dict, has_overview: bool) -> None:
        self.port, self.seeded, self.has_overview = port, seeded, has_overview
        self.token = seeded["token"]
        self.clients: list[int] = []
        start = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.window = (start, start + dt.timedelta(days=90))

    def create(self, i: int) -> None:
        status, body = ob.request(self.port, "POST", "/api/v1/clients", self.token, ob.create_body(i))
        if status != 201:
            raise SystemExit(f"NerveCare create answered {status}: {body}")
        self.clients.append(body["id"])

    def book(self, i: int, starts_at: str) -> None:
        payload = {
            "client_id": self.clients[i % len(self.clients)],
            "therapist_id": self.seeded["therapist"],
            "service_id": self.seeded["service"],
            "starts_at": starts_at,
        }
        status, body = ob.request(self.port, "POST", "/api/v1/appointments", self.token, payload)
        if status != 201:
            raise SystemExit(f"NerveCare book answered {status}: {body}")

    def read(self, i: int) -> None:
        cid = self.clients[i % len(self.clients)]
        if self.has_overview:
            status, body = ob.request(self.port, "GET", f"/api/v1/clients/{cid}/overview", self.token)
            if status != 200:
                raise SystemExit(f"NerveCare overview answered {status}: {body}")
            return
        status, body = ob.request(self.port, "GET", f"/api/v1/clients/{cid}", self.token)
        if status != 200:
            raise SystemExit(f"NerveCare client read answered {status}: {body}")
        start, end = (t.isoformat().replace("+", "%2B") for t in self.window)
        status, body = ob.request(
            self.port, "GET", f"/api/v1/appointments?client_id={cid}&start={start}&end={end}", self.token
        )
        if status != 200 or not body:
            raise SystemExit(f"NerveCare appointments answered {status}: {body}")


# --- measuring ---------------------------------------------------------------------------------------------


def vm(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def op_calls(system, op: str, i: int, n: int) -> Callable[[], None]:
    if op == "create":
        return lambda: system.create(i)
    if op == "book":
        starts_at = ob.slot(i)
        return lambda: system.book(i, starts_at)
    return lambda: system.read(i)


def alternating(systems: dict, pids: dict[str, int], n: int) -> dict:
    """Every operation kind in turn; within it, the two systems alternate request by request."""
    out: dict[str, dict] = {name: {} for name in systems}
    for op in OPS:
        lat: dict[str, list[float]] = {name: [] for name in systems}
        c0 = {name: ob.cpu_ms(pid) for name, pid in pids.items()}
        for i in range(n):
            order = list(systems) if i % 2 == 0 else list(reversed(systems))
            for name in order:
                call = op_calls(systems[name], op, i, n)
                s = time.perf_counter()
                call()
                lat[name].append((time.perf_counter() - s) * 1000)
        for name, pid in pids.items():
            cpu = ob.cpu_ms(pid) - c0[name]
            out[name][op] = ob.figures(lat[name], sum(lat[name]) / 1000, cpu, n)
        print(f"# {op}: done (load {os.getloadavg()[0]:.2f})", flush=True)
    return out


def log_statements(log: Path, offset: int, db: str) -> list[str]:
    """The statements PostgreSQL logged for database `db` after byte `offset` (log_statement = 'all')."""
    pattern = re.compile(rf"\] \S*@{re.escape(db)} LOG:  (?:statement|execute [^:]*): (.*)")
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    return [m.group(1) for m in (pattern.search(line) for line in text.splitlines()) if m]


def counting_pass(systems: dict, log: Path, dbs: dict[str, str], n: int, k: int) -> dict:
    out: dict[str, dict] = {name: {} for name in systems}
    for op in OPS:
        for name, system in systems.items():
            for j in range(3):  # the server's caches for this operation are warm, as in the timed part
                op_calls(system, op, n + 50 + j, n)()
            time.sleep(0.3)
            offset = log.stat().st_size
            for j in range(k):
                op_calls(system, op, n + 100 + j, n)()
            time.sleep(0.5)  # the log is written by the backends; let the last lines land
            stmts = log_statements(log, offset, dbs[name])
            control = [s for s in stmts if CONTROL.match(s)]
            commits = [s for s in control if s.strip().upper().startswith("COMMIT")]
            protocol = [s for s in stmts if PROTOCOL.match(s)]
            out[name][op] = {
                "statements": round((len(stmts) - len(control)) / k, 1),
                "protocol": round(len(protocol) / k, 1),
                "control": round(len(control) / k, 1),
                "commits": round(len(commits) / k, 2),
                "sample": [s[:160] for s in stmts[: len(stmts) // k]],
            }
    return out


def set_log_statement(url: str, dbs: list[str], value: str | None) -> None:
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        for db in dbs:
            if value is None:
                conn.execute(f'ALTER DATABASE "{db}" RESET log_statement')
            else:
                conn.execute(f"ALTER DATABASE \"{db}\" SET log_statement = '{value}'")


# --- the run -----------------------------------------------------------------------------------------------


def main() -> None:  # noqa: PLR0915 - one straight run
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="nc-peer-"))
    env = ob.app_env(args.database_url, str(work))
    os.environ.update(env)
    ob.recreate_database(args.database_url)
    peer_database(args.database_url, args.peer_template, args.peer_db)
    nc_db = args.database_url.rsplit("/", 1)[1]
    dbs = {"NerveCare": nc_db, "GNU Health": args.peer_db}

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    seeded = ob.seed()
    with connection.cursor() as cur:
        cur.execute("SHOW fsync")
        fsync = cur.fetchone()[0]
        cur.execute("SHOW synchronous_commit")
        sync = cur.fetchone()[0]
        cur.execute("SHOW server_version")
        pg_version = cur.fetchone()[0]
    connection.close()
    peer_python = subprocess.run(  # noqa: S603
        [f"{args.peer_venv}/bin/python", "-c", "import sys, trytond; print(sys.version.split()[0], trytond.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    load0 = os.getloadavg()
    print(
        f"# peer_bench: N = {args.n} per operation per system, alternating; PostgreSQL {pg_version} "
        f"(fsync={fsync}, synchronous_commit={sync}); NerveCare on Python {sys.version.split()[0]}, "
        f"GNU Health on Python {peer_python[0]} with trytond {peer_python[1]} ({args.peer_server}); {os.cpu_count()} CPUs; "
        f"load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}",
        flush=True,
    )

    gunicorn_log = work / "gunicorn.log"
    nc_proc = ob.start_gunicorn(env, args.port, gunicorn_log)
    peer_proc = start_trytond(args.peer_venv, args.database_url, args.peer_port, work, args.peer_server)
    try:
        nc_pid = ob.worker_pid(nc_proc.pid)
        has_overview = ob.has_overview_route()  # not the worker's OpenAPI document: see ops_bench
        rpc = TrytonRPC(args.peer_port, args.peer_db)
        uid = rpc.login(args.peer_user, args.peer_password)
        peer_seeded = peer_seed(rpc, uid)
        nc = NerveCare(args.port, seeded, has_overview)
        peer = Peer(rpc, peer_seeded)
        # Warm both (first request of a worker: imports, caches), outside the measurement.
        ob.request(args.port, "GET", "/api/v1/services", seeded["token"])
        rpc.model("gnuhealth.patient", "search", [], 0, 1, None)
        systems = {"NerveCare": nc, "GNU Health": peer}
        peer_pid = ob.worker_pid(peer_proc.pid) if args.peer_server == "gunicorn" else peer_proc.pid
        pids = {"NerveCare": nc_pid, "GNU Health": peer_pid}
        timed = alternating(systems, pids, args.n)
        memory = {
            name: {"rss_mib": vm(pid, "VmRSS"), "peak_mib": vm(pid, "VmHWM")} for name, pid in pids.items()
        }
        load1 = os.getloadavg()
    finally:
        for proc in (nc_proc, peer_proc):
            os.killpg(proc.pid, 9)
            proc.wait()

    # The counting pass: statement logging on the two bench databases only, fresh server connections.
    log = Path(args.pg_log)
    counts: dict | None = None
    if log.exists() and os.access(log, os.R_OK):
        set_log_statement(args.database_url, list(dbs.values()), "all")
        try:
            nc_proc = ob.start_gunicorn(env, args.port, gunicorn_log)
            peer_proc = start_trytond(
                args.peer_venv, args.database_url, args.peer_port, work, args.peer_server
            )
            rpc.conn = None
            rpc.login(args.peer_user, args.peer_password)
            ob.request(args.port, "GET", "/api/v1/services", seeded["token"])
            rpc.model("gnuhealth.patient", "search", [], 0, 1, None)
            counts = counting_pass(systems, log, dbs, args.n, args.k)
        finally:
            for proc in (nc_proc, peer_proc):
                os.killpg(proc.pid, 9)
                proc.wait()
            set_log_statement(args.database_url, list(dbs.values()), None)
    else:
        print(f"# {log} is not readable: no statement counts", flush=True)

    requests = {
        "NerveCare": {"create": 1, "book": 1, "read": 1 if has_overview else 2},
        "GNU Health": REQUESTS["peer"],
    }
    print(f"\nload average at the end: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    head = (f"{'operation':<9}{'system':<12}{'req':>4}{'ops/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'CPU ms/op':>11}{'SQL/op':>8}{'proto':>7}{'+ctl':>6}{'commits':>9}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for op in OPS:
        for name in systems:
            f = timed[name][op]
            c = (
                counts[name][op]
                if counts
                else {"statements": "-", "protocol": "-", "control": "-", "commits": "-"}
            )
            print(f"{op:<9}{name:<12}{requests[name][op]:>4}{f['ops_per_s']:>8}{f['p50_ms']:>9}{f['p95_ms']:>9}"
                  f"{f['p99_ms']:>9}{f['cpu_ms_per_op']:>11}{c['statements']:>8}{c['protocol']:>7}{c['control']:>6}{c['commits']:>9}")  # fmt: skip
        a, b = timed["NerveCare"][op], timed["GNU Health"][op]
        sql = (f"{counts['NerveCare'][op]['statements'] / counts['GNU Health'][op]['statements']:>8.2f}"
               if counts else f"{'-':>8}")  # fmt: skip
        print(f"{'':<9}{'NC / peer':<12}{'':>4}{a['ops_per_s'] / b['ops_per_s']:>8.2f}{a['p50_ms'] / b['p50_ms']:>9.2f}"
              f"{a['p95_ms'] / b['p95_ms']:>9.2f}{a['p99_ms'] / b['p99_ms']:>9.2f}"
              f"{a['cpu_ms_per_op'] / b['cpu_ms_per_op']:>11.2f}{sql}")  # fmt: skip
    for name in systems:
        print(f"server memory after the timed part, {name}: RSS {memory[name]['rss_mib']} MiB, "
              f"peak {memory[name]['peak_mib']} MiB")  # fmt: skip
    print("(SQL/op: statements PostgreSQL logged per operation, transaction control not counted; proto: of those,"
          " the per-request SET / SELECT 1 / session check; +ctl: BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE)")  # fmt: skip
    print("(ops/s = N / the sum of that system's request times; NC / peer > 1 in ops/s means NerveCare is faster,"
          " < 1 in latency, CPU and SQL means it does less)")  # fmt: skip
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"n": args.n, "k": args.k, "load_start": load0, "load_end": load1, "timed": timed, "counts": counts,
                 "memory": memory, "requests": requests, "read_one_request": has_overview,
                 "postgresql": pg_version, "fsync": fsync, "synchronous_commit": sync,
                 "peer_python": peer_python, "peer_server": args.peer_server},
                indent=2,
            )
        )  # fmt: skip


if __name__ == "__main__":
    main()
