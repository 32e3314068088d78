"""deploy/check: the production layout of deploy/README.md, brought up on loopback and tested, then torn down.

    deploy/check            (or ./dev deploy-check)    the whole check; prints its figures; exit 0 = passed
    deploy/check --keep     leave it running afterwards (prints how to stop it)

What it brings up (all on 127.0.0.1, in a throw-away folder):
- nginx from Debian's packages (apt-get install -y nginx if missing) with deploy/nginx.conf itself (only the
  ports, server name, certificate and folder paths substituted), TLS with a self-signed certificate made here;
- PostgreSQL database nc_deploycheck with the two roles of the README: an owner (migrations, `db grant`) and
  the app's role (owns nothing), created fresh and dropped at the end;
- two gunicorn instances with deploy/gunicorn.conf.py, each with its OWN data folder (no shared disk);
- the existing Redis (one database number, --redis-db, flushed before and after) for the queue and cache;
- one job consumer (`nervecare run_jobs`), and an SMTP sink (aiosmtpd, in this process) for the emails;
- the first clinic with `nervecare clinic create`, then a therapist with an authenticator (TOTP) and a client.

What it checks:
1. smoke, through nginx: /static/ served by nginx (one Cache-Control); sign-in with the second step (TOTP);
   a booking from the staff booking page, sent twice with its form's one-time key (a double-click): one
   appointment; the reminder delivered to the SMTP sink by the consumer; a FHIR bulk export started on one
   instance and downloaded from the other (the consumer wrote it into PostgreSQL);
2. rolling restart (`systemctl reload` = SIGHUP to gunicorn, one instance, wait, the other) under a
   concurrent load of API reads and bookings: the number of 5xx answers must be 0;
3. kill -9 of one instance (master and workers) under load, then start it again: every acknowledged booking
   is in the database, none twice; with the client retrying 502/503/504 and connection errors with the same
   Idempotency-Key, no request is lost (every one ends with a non-5xx answer).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
PG_ADMIN = os.environ.get("DEPLOYCHECK_PG_ADMIN", "postgres://postgres@127.0.0.1:5432")
DB = "nc_deploycheck"
OWNER = "nc_deploycheck_owner"
APP = "nc_deploycheck_app"
RETRY_STATUSES = {502, 503, 504}

T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


def run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def psql(sql: str, db: str = "postgres") -> str:
    """Run SQL as the PostgreSQL superuser (the check's own statements: numbers and names it made)."""
    return run(["psql", f"{PG_ADMIN}/{db}", "-v", "ON_ERROR_STOP=1", "-Atc", sql]).stdout.strip()


def http_session(verify: str | bool = True) -> Any:
    """A requests session that ignores the environment (REQUESTS_CA_BUNDLE would replace our certificate)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = verify
    return session


def totp(key_hex: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (what django-otp's TOTPDevice checks), as an authenticator app computes it."""
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


# --- the SMTP sink -----------------------------------------------------------------------------------------


class Sink:
    """aiosmtpd on loopback, keeping every message it is sent."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[dict[str, Any]] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                text = envelope.content.decode("utf-8", "replace")
                subject = re.search(r"^Subject: (.*)$", text, re.M)
                sink.messages.append(
                    {"to": list(envelope.rcpt_tos), "subject": subject.group(1) if subject else ""}
                )
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# --- the layout --------------------------------------------------------------------------------------------


class Layout:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.base = args.base_port
        self.https = self.base + 443
        self.http = self.base + 80
        self.ports = (self.base + 1, self.base + 2)
        self.smtp = self.base + 25
        self.dir = Path(tempfile.mkdtemp(prefix="nc-deploycheck-"))
        os.chmod(self.dir, 0o755)  # nginx's workers (www-data) read static/ and the certificate folder  # noqa: S103
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.origin = f"https://localhost:{self.https}"
        self.owner_pw = secrets.token_urlsafe(18)
        self.app_pw = secrets.token_urlsafe(18)
        self.sink: Sink | None = None
        self.env = self._env()

    # settings of every process: what /etc/nervecare/nervecare.env holds
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "NERVECARE", "DATABASE"))}
        env.update(
            {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DATABASE_URL": f"postgres://{APP}:{self.app_pw}@127.0.0.1:5432/{DB}",
                "REDIS_URL": f"redis://127.0.0.1:6379/{self.args.redis_db}",
                "ALLOWED_HOSTS": "localhost,127.0.0.1",
                "CSRF_TRUSTED_ORIGINS": self.origin,
                "NERVECARE_PUBLIC_URL": self.origin,
                "DEBUG": "0",
                "SECURE_PROXY_SSL_HEADER": "1",
                "AXES_PROXY_COUNT": "1",
                "SECURE_SSL_REDIRECT": "1",
                "SECURE_COOKIES": "1",
                "CONN_MAX_AGE": "60",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp),
                "DEFAULT_FROM_EMAIL": "NerveCare <noreply@localhost>",
                "GUNICORN_WORKERS": str(self.args.workers),
                "NERVECARE_API_RATE": "100000/m",  # the load shares few accounts; limits have their own tests
                "NERVECARE_EXPORT_POLL_SECONDS": "1",
                "NERVECARE_AUDIT_CHECKPOINT_KEY": secrets.token_urlsafe(32),
                "LOG_LEVEL": "WARNING",
            }
        )
        return env

    def env_for(self, name: str, **extra: str) -> dict[str, str]:
        data = self.dir / "data" / name
        data.mkdir(parents=True, exist_ok=True)
        return self.env | {"NERVECARE_DATA_DIR": str(data)} | extra

    def nervecare(self, *argv: str, owner: bool = False) -> str:
        env = self.env_for("cli")
        if owner:
            env["DATABASE_URL"] = f"postgres://{OWNER}:{self.owner_pw}@127.0.0.1:5432/{DB}"
        return run([str(VENV / "nervecare"), *argv], env=env, cwd=ROOT).stdout

    # --- bring up
    def database(self) -> None:
        self.drop_database()
        psql(f"CREATE ROLE {OWNER} LOGIN PASSWORD '{self.owner_pw}'")
        psql(f"CREATE ROLE {APP} LOGIN PASSWORD '{self.app_pw}'")
        psql(f"CREATE DATABASE {DB} OWNER {OWNER}")
        psql("REVOKE CREATE ON SCHEMA public FROM PUBLIC", db=DB)
        psql(f"GRANT CREATE ON SCHEMA public TO {OWNER}", db=DB)  # PostgreSQL 15: pg_database_owner has it
        self.nervecare("migrate", "--noinput", owner=True)
        self.nervecare("db", "grant", "--app-role", APP, owner=True)
        owned = psql(
            f"SELECT count(*) FROM pg_tables WHERE schemaname='public' AND tableowner='{APP}'", db=DB
        )
        if owned != "0":
            raise SystemExit(f"the app role owns {owned} tables")

    def drop_database(self) -> None:
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        for role in (APP, OWNER):
            psql(f"DROP ROLE IF EXISTS {role}")

    def static_and_cert(self) -> None:
        static = self.dir / "static"
        env = self.env_for("cli") | {"NERVECARE_DATA_DIR": str(self.dir)}
        run([str(VENV / "nervecare"), "collectstatic", "--noinput"], env=env, cwd=ROOT)
        for path in [static, *static.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        certs = self.dir / "tls"
        certs.mkdir(mode=0o755)
        run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(certs / "privkey.pem"),
                "-out",
                str(certs / "fullchain.pem"),
            ]  # fmt: skip
        )
        (certs / "privkey.pem").chmod(0o600)  # read by nginx's master (root) only

    def nginx(self) -> None:
        if not shutil.which("nginx"):
            say("nginx is not installed: apt-get install -y nginx")
            run(["apt-get", "install", "-y", "nginx"], env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
        shipped = (ROOT / "deploy" / "nginx.conf").read_text()
        conf = shipped
        for old, new in (
            ("127.0.0.1:8001", f"127.0.0.1:{self.ports[0]}"),
            ("127.0.0.1:8002", f"127.0.0.1:{self.ports[1]}"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https} ssl http2;"),
            ("listen [::]:443 ssl http2;", ""),
            ("listen 80;", f"listen 127.0.0.1:{self.http};"),
            ("listen [::]:80;", ""),
            ("care.example.org", "localhost"),
            ("/etc/ssl/nervecare/", f"{self.dir}/tls/"),
            ("/var/lib/nervecare/static/", f"{self.dir}/static/"),
            ("/var/log/nginx/nervecare.", f"{self.dir}/nginx."),
        ):
            if old not in conf:
                raise SystemExit(f"deploy/nginx.conf no longer contains {old!r}: update deploy/check.py")
            conf = conf.replace(old, new)
        conf = re.sub(r"(?m)^\s*server 10\.0\.0\.\d+.*$", "", conf)
        main = f"""user www-data;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/nginx.error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {self.dir}/nginx-body;
    proxy_temp_path {self.dir}/nginx-proxy;
{conf}
}}
"""
        (self.dir / "nginx-main.conf").write_text(main)
        run(["nginx", "-t", "-c", str(self.dir / "nginx-main.conf")])
        self.start("nginx", ["nginx", "-c", str(self.dir / "nginx-main.conf"), "-g", "daemon off;"], {})

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(  # noqa: S603
            cmd, env=env or None, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def web(self, i: int) -> subprocess.Popen[bytes]:
        port = self.ports[i]
        env = self.env_for(f"web{port}", GUNICORN_BIND=f"127.0.0.1:{port}")
        proc = self.start(f"web{port}", [str(VENV / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], env)
        self.wait_ready(port)
        return proc

    def wait_ready(self, port: int, timeout: float = 120.0) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                r = http_session().get(
                    f"http://127.0.0.1:{port}/accounts/login/",
                    headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
                    timeout=5,
                )
                if r.status_code == 200:
                    return
            time.sleep(0.3)
        raise SystemExit(f"instance on {port} did not come up: {self.dir}/web{port}.log")

    def jobs(self) -> None:
        self.start("jobs", [str(VENV / "nervecare"), "run_jobs"], self.env_for("jobs"))

    def redis_flush(self) -> None:
        run(["redis-cli", "-n", str(self.args.redis_db), "FLUSHDB"])

    def up(self) -> None:
        say(f"folder {self.dir}; PostgreSQL {DB} (roles {OWNER}, {APP}); Redis db {self.args.redis_db}")
        self.redis_flush()
        self.database()
        self.static_and_cert()
        self.sink = Sink(self.smtp)
        self.jobs()
        for i in (0, 1):
            self.web(i)
        self.nginx()
        say(
            f"up: nginx {self.origin} -> gunicorn {self.ports[0]}, {self.ports[1]}; jobs; SMTP sink :{self.smtp}"
        )

    def down(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.sink:
            self.sink.stop()
        self.drop_database()
        self.redis_flush()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- seed: the first clinic, a therapist with an authenticator, clients -------------------------------------

SEED = r"""
import datetime as dt, json, secrets, sys
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from nervecare.clients.models import Client
from nervecare.core.models import Clinic, Therapist, User
from nervecare.core.services import api_token_create
from nervecare.scheduling.models import Service, WorkingHours

n_load = int(sys.argv[1])
clinic = Clinic.objects.get(slug="deploycheck")
out = {"load": []}
with transaction.atomic():
    service = Service.objects.create(clinic=clinic, code="check-30", name="30-min Swedish", modality="swedish",
                                      minutes=30, buffer_minutes=0)
    out["service_id"] = service.pk
    def therapist(username):
        user = User.objects.create(username=username, clinic=clinic, role=User.Role.THERAPIST,
                                   email=f"{username}@check.test", first_name=username.title())
        user.set_password("check-password-" + username)
        user.save()
        t = Therapist.objects.create(user=user, clinic=clinic, display_name=username.title(), years_experience=5)
        for d in range(7):
            WorkingHours.objects.create(therapist=t, weekday=d, start=dt.time(0, 0), end=dt.time(23, 59))
        client = Client.objects.create(clinic=clinic, first_name="Client", last_name=username.title(),
                                       date_of_birth=dt.date(1960, 1, 1), email=f"client-{username}@check.test",
                                       primary_therapist=t)
        return user, t, client
    user, t, client = therapist("alice")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    _tok, plain = api_token_create(user=user, name="check", scopes=["fhir:read"])
    out["alice"] = {"username": "alice", "password": "check-password-alice", "totp_key": device.key,
                    "therapist_id": t.pk, "client_id": client.pk, "client_email": client.email, "fhir_token": plain}
    for i in range(n_load):
        user, t, client = therapist(f"load{i}")
        _tok, plain = api_token_create(user=user, name="load", scopes=["schedule:read", "schedule:write"])
        out["load"].append({"token": plain, "therapist_id": t.pk, "client_id": client.pk})
print(json.dumps(out))
"""


def seed(layout: Layout, n_load: int) -> dict[str, Any]:
    out = layout.nervecare(
        "clinic", "create", "--name", "Deploy check clinic", "--slug", "deploycheck", "--timezone", "UTC",
        "--admin-username", "admin", "--admin-email", "admin@check.test", "--base-url", layout.origin,
    )  # fmt: skip
    say("clinic create: " + out.strip().splitlines()[0])
    env = layout.env_for("cli")
    result = run(
        [str(VENV / "python"), "-c", SEED, str(n_load)],
        env=env | {"DJANGO_SETTINGS_MODULE": "nervecare.settings"},
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the smoke test ----------------------------------------------------------------------------------------


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not match:
        raise SystemExit(f"no {name} in the page")
    return match.group(1)


def smoke(layout: Layout, plan: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    cert = str(layout.dir / "tls" / "fullchain.pem")
    s = http_session(cert)
    plain = http_session()
    origin = layout.origin
    alice = plan["alice"]

    # static from nginx
    css = re.search(r'href="(/static/[^"]+\.css)"', s.get(f"{origin}/accounts/login/", timeout=30).text)
    assert css, "no stylesheet on the sign-in page"
    r = s.get(origin + css.group(1), timeout=30)
    cache_headers = [v for k, v in r.raw.headers.items() if k.lower() == "cache-control"]
    assert r.status_code == 200 and len(cache_headers) == 1, (r.status_code, cache_headers)
    assert plain.get(f"http://localhost:{layout.http}/", allow_redirects=False, timeout=10).status_code == 301
    say(f"static file from nginx: 200, Cache-Control: {cache_headers[0]}; plain HTTP redirects to HTTPS")

    # sign in: password, then the code from the authenticator
    page = s.get(f"{origin}/accounts/login/", timeout=30).text
    r = s.post(
        f"{origin}/accounts/login/",
        data={"csrfmiddlewaretoken": _field(page, "csrfmiddlewaretoken"), "username": alice["username"],
              "password": alice["password"]},
        headers={"Referer": f"{origin}/accounts/login/"},
        timeout=30,
    )  # fmt: skip
    assert "/accounts/mfa/verify/" in r.url, r.url
    r = s.post(
        r.url,
        data={"csrfmiddlewaretoken": _field(r.text, "csrfmiddlewaretoken"), "code": totp(alice["totp_key"])},
        headers={"Referer": r.url},
        timeout=30,
    )
    assert r.status_code == 200 and "/accounts/" not in r.url, (r.status_code, r.url)
    say(f"signed in with the password and the authenticator code: landed on {r.url.removeprefix(origin)}")

    # a booking from the staff page, "double-clicked": one appointment
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    start = start + dt.timedelta(minutes=(30 - start.minute % 30) % 30)
    page = s.get(f"{origin}/book/", params={"client_id": alice["client_id"]}, timeout=30).text
    form = {
        "csrfmiddlewaretoken": _field(page, "csrfmiddlewaretoken"),
        "idempotency_key": _field(page, "idempotency_key"),
        "client_id": alice["client_id"],
        "service_id": plan["service_id"],
        "therapist_id": alice["therapist_id"],
        "day": start.date().isoformat(),
        "at": start.strftime("%H:%M"),
    }
    answers = []
    for _click in range(2):
        answers.append(
            s.post(
                f"{origin}/book/",
                data=form,
                headers={"Referer": f"{origin}/book/"},
                allow_redirects=False,
                timeout=30,
            )
        )
    statuses = [a.status_code for a in answers]
    assert statuses == [302, 302], [(a.status_code, a.text[:300]) for a in answers]
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    booked = psql(
        f"SELECT count(*) FROM scheduling_appointment WHERE client_id={alice['client_id']} AND status='booked'",
        db=DB,
    )
    assert booked == "1", booked
    figures["double_click_appointments"] = int(booked)
    say(
        f"booking page sent twice with one form key: answers {statuses}, appointments in the database: {booked}"
    )

    # the reminder, delivered by the consumer to the sink
    assert layout.sink is not None
    deadline = time.monotonic() + layout.args.reminder_timeout
    mails: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        mails = [m for m in layout.sink.messages if alice["client_email"] in m["to"]]
        if mails:
            break
        time.sleep(1)
    assert mails, f"no email to {alice['client_email']} within {layout.args.reminder_timeout} s"
    figures["reminder_seconds"] = round(time.monotonic() - (deadline - layout.args.reminder_timeout), 1)
    say(f"email delivered to the sink: {[m['subject'] for m in mails]} after {figures['reminder_seconds']} s")

    # bulk export: kicked off on instance 1, polled and downloaded on instance 2 (directly, not via nginx)
    token = {
        "Authorization": f"Bearer {alice['fhir_token']}",
        "Host": "localhost",
        "X-Forwarded-Proto": "https",
    }
    one, two = (f"http://127.0.0.1:{p}" for p in layout.ports)
    r = plain.get(
        f"{one}/fhir/R4/$export", headers=token | {"Prefer": "respond-async", "Accept": "application/fhir+json"},
        timeout=60,
    )  # fmt: skip
    assert r.status_code == 202, (r.status_code, r.text[:500])
    status_url = r.headers["Content-Location"].replace(origin, two)
    deadline = time.monotonic() + 120
    while True:
        time.sleep(1.1)
        r = plain.get(status_url, headers=token, timeout=60)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
    assert r.status_code == 200, (r.status_code, r.text[:500])
    manifest = r.json()
    lines = 0
    for output in manifest["output"]:
        f = plain.get(output["url"].replace(origin, two), headers=token, timeout=60)
        assert f.status_code == 200, (f.status_code, f.text[:300])
        got = len(f.content.splitlines())
        assert got == output["count"], (output, got)
        lines += got
    via_proxy = s.get(
        manifest["output"][0]["url"], headers={"Authorization": token["Authorization"]}, timeout=60
    )
    assert via_proxy.status_code == 200
    disk = list((layout.dir / "data").rglob("*.ndjson*"))
    assert not disk, disk
    figures["export_files"] = len(manifest["output"])
    figures["export_resources"] = lines
    say(
        f"bulk export: started on :{layout.ports[0]}, written by the consumer, {len(manifest['output'])} files "
        f"({lines} resources) downloaded from :{layout.ports[1]} and via nginx; no export file on any disk"
    )
    return figures


# --- load ---------------------------------------------------------------------------------------------------


class Load:
    """Concurrent clients through nginx: API reads and bookings (each POST with its own Idempotency-Key, retried
    with the same key on 502/503/504 or a connection error, as a careful client does)."""

    def __init__(self, layout: Layout, plan: dict[str, Any], service_id: int, day_offset: int) -> None:
        self.layout = layout
        self.plan = plan
        self.service_id = service_id
        self.day_offset = day_offset
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.first = Counter()  # status of each request's first answer ("conn" for a connection error)
        self.final = Counter()  # status of its last answer after retries
        self.requests = 0
        self.retried = 0
        self.acked: list[int] = []
        self.conflict_after_retry: list[dict[str, Any]] = []
        self.latencies: list[float] = []
        self.threads = [
            threading.Thread(target=self.worker, args=(i,), daemon=True) for i in range(len(plan))
        ]

    def worker(self, i: int) -> None:
        me = self.plan[i]
        s = http_session(str(self.layout.dir / "tls" / "fullchain.pem"))
        s.headers["Authorization"] = f"Bearer {me['token']}"
        base = self.layout.origin
        day0 = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=self.day_offset)
        n = 0
        while not self.stop.is_set():
            if n % 2 == 0:
                span = f"start={day0}T00:00:00Z&end={day0 + dt.timedelta(days=14)}T00:00:00Z"
                url = f"{base}/api/v1/appointments?therapist_id={me['therapist_id']}&{span}"
                method, body, key = "GET", None, None
            else:
                k = n // 2
                start = dt.datetime.combine(day0 + dt.timedelta(days=k // 40), dt.time(2)) + dt.timedelta(
                    minutes=30 * (k % 40)
                )
                body = {"client_id": me["client_id"], "therapist_id": me["therapist_id"],
                        "service_id": self.service_id, "starts_at": start.isoformat()}  # fmt: skip
                method, url, key = "POST", f"{base}/api/v1/appointments", str(uuid.uuid4())
            n += 1
            self.one(s, method, url, body, key)

    def one(self, s: Any, method: str, url: str, body: Any, key: str | None) -> None:
        import requests

        first: Any = None
        final: Any = None
        retried = False
        answer = None
        for attempt in range(8):
            t = time.monotonic()
            try:
                headers = {"Idempotency-Key": key} if key else {}
                answer = s.request(method, url, json=body, headers=headers, timeout=90)
                status: Any = answer.status_code
            except requests.RequestException:
                status = "conn"
            with self.lock:
                self.latencies.append(time.monotonic() - t)
            if first is None:
                first = status
            final = status
            retryable = status == "conn" or status in RETRY_STATUSES
            if not retryable or (method == "POST" and not key):
                break
            retried = True
            time.sleep(0.3 * (attempt + 1))
        with self.lock:
            self.requests += 1
            self.first[first] += 1
            self.final[final] += 1
            self.retried += retried
            if method == "POST" and final == 201 and answer is not None:
                self.acked.append(answer.json()["id"])
            if method == "POST" and retried and final == 409:
                self.conflict_after_retry.append(body)

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)

    def report(self, name: str) -> dict[str, Any]:
        first_5xx = sum(c for s, c in self.first.items() if isinstance(s, int) and s >= 500)
        lost = sum(c for s, c in self.final.items() if s == "conn" or (isinstance(s, int) and s >= 500))
        lat = sorted(self.latencies) or [0.0]
        figures = {
            "requests": self.requests,
            "first_answers": {str(k): v for k, v in sorted(self.first.items(), key=str)},
            "first_5xx": first_5xx,
            "first_conn_errors": self.first.get("conn", 0),
            "retried": self.retried,
            "lost_after_retries": lost,
            "bookings_acknowledged": len(self.acked),
            "p50_ms": round(lat[len(lat) // 2] * 1000),
            "max_ms": round(lat[-1] * 1000),
        }
        say(f"{name}: {json.dumps(figures)}")
        return figures


def check_writes(load: Load) -> dict[str, Any]:
    """Every acknowledged booking is in the database; no therapist is booked twice at once."""
    if load.acked:
        ids = ",".join(str(i) for i in load.acked)
        present = int(psql(f"SELECT count(*) FROM scheduling_appointment WHERE id IN ({ids})", db=DB))
    else:
        present = 0
    overlaps = int(
        psql(
            "SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b ON a.therapist_id = "
            "b.therapist_id AND a.id < b.id AND a.status IN ('booked','held') AND b.status IN ('booked','held') "
            "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at",
            db=DB,
        )
    )
    # A retried booking answered 409: is its time held by the first attempt (committed, answer lost)?
    committed_first = 0
    for body in load.conflict_after_retry:
        committed_first += int(
            psql(
                f"SELECT count(*) FROM scheduling_appointment WHERE therapist_id={body['therapist_id']} AND "
                f"client_id={body['client_id']} AND starts_at='{body['starts_at']}+00'",
                db=DB,
            )
        )
    return {
        "acknowledged_missing": len(load.acked) - present,
        "overlapping_bookings": overlaps,
        "retry_409_committed_by_first_attempt": committed_first,
    }


def phase_rolling(layout: Layout, plan: dict[str, Any]) -> dict[str, Any]:
    with Load(layout, plan["load"], plan["service_id"], day_offset=3) as load:
        time.sleep(layout.args.warmup)
        for i in (0, 1):
            proc = layout.procs[f"web{layout.ports[i]}"]
            say(f"rolling restart: SIGHUP (systemctl reload) to gunicorn :{layout.ports[i]}")
            os.kill(proc.pid, signal.SIGHUP)
            # The old workers stop taking requests at once; wait until a new one answers before reloading the
            # other instance (a fixed pause shorter than a worker's start left both instances without one).
            began = time.monotonic()
            time.sleep(2)
            layout.wait_ready(layout.ports[i], timeout=300)
            say(f":{layout.ports[i]} answers from a new worker {time.monotonic() - began:.0f} s after SIGHUP")
            time.sleep(layout.args.reload_wait)
        time.sleep(layout.args.warmup)
    figures = load.report("rolling restart under load")
    figures |= check_writes(load)
    return figures


def phase_kill(layout: Layout, plan: dict[str, Any]) -> dict[str, Any]:
    with Load(layout, plan["load"], plan["service_id"], day_offset=60) as load:
        time.sleep(layout.args.warmup)
        port = layout.ports[0]
        proc = layout.procs[f"web{port}"]
        say(f"kill -9 of gunicorn :{port} (master and workers)")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(2)
        say(f"starting :{port} again")
        layout.web(0)
        time.sleep(layout.args.warmup)
    figures = load.report("kill -9 under load")
    figures |= check_writes(load)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base-port", type=int, default=18000, help="ports: +1/+2 app, +443 TLS, +80, +25 SMTP"
    )
    parser.add_argument("--redis-db", type=int, default=13, help="the Redis database number used (flushed)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--clients", type=int, default=6, help="concurrent load clients")
    parser.add_argument(
        "--warmup", type=float, default=6.0, help="seconds of load before and after each fault"
    )
    parser.add_argument(
        "--reload-wait",
        type=float,
        default=2.0,
        help="seconds between an instance answering after its reload and reloading the next",
    )
    parser.add_argument("--reminder-timeout", type=float, default=150.0)
    parser.add_argument("--keep", action="store_true", help="leave the layout running")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("deploy/check needs root (nginx on loopback, PostgreSQL roles)", file=sys.stderr)
        return 2
    layout = Layout(args)
    figures: dict[str, Any] = {}
    ok = False
    try:
        layout.up()
        plan = seed(layout, args.clients)
        figures["bring_up_seconds"] = round(time.monotonic() - T0, 1)
        figures["smoke"] = smoke(layout, plan)
        figures["rolling_restart"] = phase_rolling(layout, plan)
        figures["kill_9"] = phase_kill(layout, plan)
        roll, kill = figures["rolling_restart"], figures["kill_9"]
        failures = []
        if roll["first_5xx"] or roll["first_conn_errors"]:
            failures.append(
                f"rolling restart answered {roll['first_5xx']} 5xx, {roll['first_conn_errors']} errors"
            )
        for name, f in (("rolling restart", roll), ("kill -9", kill)):
            if f["acknowledged_missing"] or f["overlapping_bookings"]:
                failures.append(f"{name}: {f['acknowledged_missing']} acknowledged missing, "
                                f"{f['overlapping_bookings']} overlapping")  # fmt: skip
            if f["lost_after_retries"]:
                failures.append(f"{name}: {f['lost_after_retries']} requests lost after retries")
        figures["failures"] = failures
        ok = not failures
    finally:
        figures["total_seconds"] = round(time.monotonic() - T0, 1)
        if args.keep:
            say(f"left running (--keep): folder {layout.dir}; stop with: kill -- -PID for each of "
                f"{ {n: p.pid for n, p in layout.procs.items()} }")  # fmt: skip
        else:
            layout.down()
        print(json.dumps(figures, indent=2, default=str))
        print("deploy/check: " + ("PASSED" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
