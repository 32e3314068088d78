"""Page benchmark: server time (median, p95) of the main staff and portal pages with the demo data.

Migrates a throw-away SQLite database, seeds it with `nervecare demo`, then requests each page through Django's
test Client (the whole request: middleware, views, queries, templates; no network) and prints the figures.
The issue's target is under 200 ms per page.

    uv run python bench/pages_bench.py              # 30 requests per page
    BENCH_REPEAT=100 uv run python bench/pages_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
TMP = tempfile.mkdtemp(prefix="nervecare-pages-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["NERVECARE_DATA_DIR"] = TMP
os.environ.setdefault("NERVECARE_TESTING", "1")
os.environ["DJANGO_SETTINGS_MODULE"] = "nervecare.settings_test"
# No real mail from the demo bookings; and no test-environment instrumentation (it slows template rendering).
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
TARGET_MS = 200


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client as HttpClient
    from django.utils import timezone

    from nervecare.clients.models import Client
    from nervecare.core.models import User
    from nervecare.portal.models import ClientAccount, DiaryEntry
    from nervecare.scheduling.models import Appointment

    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0)

    maria = User.objects.get(username="maria")
    staff = HttpClient(SERVER_NAME="localhost")
    staff.force_login(maria)
    # A completed sign-in: password and the second step (maria's demo authenticator), as the browser does it.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = staff.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=maria, confirmed=True).persistent_id
    session.save()
    from nervecare.clients.selectors import clients_visible_to

    client = clients_visible_to(maria).filter(plans__isnull=False).order_by("id").first()  # one of hers
    plan = client.plans.order_by("id").first()
    past = (
        Appointment.objects.filter(clinic=maria.clinic, status="completed", therapist__user=maria)
        .order_by("-starts_at")
        .first()
    )
    person = User.objects.create(username="bench-client", role="client", clinic=client.clinic)
    ClientAccount.objects.create(user=person, client=client)
    today = timezone.localdate()
    for n in range(30):
        DiaryEntry.objects.create(
            client=client,
            day=today - timezone.timedelta(days=n),
            pain=n % 7,
            numbness=5,
            tingling=4,
            sleep=3,
        )
    portal = HttpClient(SERVER_NAME="localhost")
    portal.force_login(person)

    pages = [
        ("dashboard /", staff, "/"),
        ("client list", staff, "/clients/"),
        ("client search (HTMX)", staff, "/clients/?q=a&plan_status=active"),
        ("client chart", staff, f"/clients/{client.id}/"),
        ("care plan", staff, f"/clients/{client.id}/plans/{plan.id}/"),
        ("book a series", staff, f"/clients/{client.id}/plans/{plan.id}/book/"),
        ("new client (intake)", staff, "/clients/new/"),
        ("screening DN4", staff, f"/clients/{client.id}/screen/dn4/"),
        ("week calendar", staff, "/calendar/"),
        ("review", staff, "/review/"),
        ("portal home", portal, "/portal/"),
        ("portal diary", portal, "/portal/diary/"),
        ("portal appointments", portal, "/portal/appointments/"),
        ("portal progress", portal, "/portal/progress/"),
    ]
    if past is not None:
        pages.append(("session note", staff, f"/appointments/{past.id}/note/"))

    print(
        f"{Client.objects.count()} clients, {Appointment.objects.count()} appointments; {REPEAT} requests per page"
    )
    print(f"{'page':<24} {'median ms':>10} {'p95 ms':>8}  status")
    slow = []
    refused = []
    for name, http, url in pages:
        headers = {"HTTP_HX_REQUEST": "true"} if "HTMX" in name else {}
        http.get(url, **headers)  # warm caches (templates, vocabularies) once
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            response = http.get(url, **headers)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{name:<24} {median:>10.1f} {p95:>8.1f}  {response.status_code}")
        if p95 > TARGET_MS:
            slow.append(name)
        if response.status_code != 200:  # a redirect (e.g. to sign in) would time the wrong page
            refused.append(f"{name} ({response.status_code})")
    print(f"over {TARGET_MS} ms at p95: {', '.join(slow) if slow else 'none'}")
    if refused:
        raise SystemExit(f"not a 200, so not measured: {', '.join(refused)}")


if __name__ == "__main__":
    main()
