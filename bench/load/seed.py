"""Seed a clinic sized for the load test (called by run.py after django.setup()).

One therapist per simulated user (each user books, writes notes and screenings as that therapist, with that
therapist's bearer token), working 06:00–22:00 every day in a clinic on UTC; a 30-minute service without a
buffer, so every therapist has 32 bookable slots a day; rooms; thousands of clients; and in the past:
- a pool of booked appointments per therapist for the session notes the load writes (one note per appointment,
  never written twice, so the content of every acknowledged note is known exactly), and
- a few weeks of signed notes for some clients, so their outcomes dashboard has something to compute.

Everything is bulk-inserted: the point is the load, not the seeding.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

DAY_START_HOUR = 6
DAY_END_HOUR = 22
SLOT_MINUTES = 30
SLOTS_PER_DAY = (DAY_END_HOUR - DAY_START_HOUR) * 60 // SLOT_MINUTES


def _session_for(user: Any) -> str:
    """A signed-in web session for the dashboard page, made the way django.contrib.auth.login stores one."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    backends = list(settings.AUTHENTICATION_BACKENDS)
    backend = next((b for b in backends if b.endswith("ModelBackend")), backends[-1])
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS:
        # Staff sign in with a second factor: a confirmed authenticator, verified in this session, as
        # django_otp.login records it. (run.py still probes the page and leaves it out if refused.)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="load test", confirmed=True)
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return store.session_key


def seed(
    *,
    therapists: int,
    clients: int,
    rooms: int,
    note_pool: int,
    history_clients: int,
    history_sessions: int,
    book_days: int,
    rng_seed: int = 7,
) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from nervecare.clients.models import Client
    from nervecare.core.models import Clinic, Therapist, User
    from nervecare.core.scopes import vocabulary
    from nervecare.core.services import api_token_create
    from nervecare.scheduling.models import Appointment, Room, Service, WorkingHours
    from nervecare.visits.models import SessionNote

    rng = random.Random(rng_seed)
    now = timezone.now()
    today = now.date()
    with transaction.atomic():
        clinic = Clinic.objects.create(name="Load-test clinic", slug="load", timezone="UTC")
        service = Service.objects.create(
            clinic=clinic,
            code="swedish-30",
            name="30-min Swedish",
            modality="swedish",
            minutes=SLOT_MINUTES,
            buffer_minutes=0,
        )
        room_rows = Room.objects.bulk_create(Room(clinic=clinic, name=f"Room {i + 1}") for i in range(rooms))
        users = []
        for i in range(therapists):
            user = User(
                username=f"load-t{i}", clinic=clinic, role=User.Role.THERAPIST, email=f"t{i}@load.test"
            )
            user.set_unusable_password()
            users.append(user)
        User.objects.bulk_create(users)
        users = list(User.objects.filter(clinic=clinic).order_by("id"))
        therapist_rows = Therapist.objects.bulk_create(
            Therapist(user=u, clinic=clinic, display_name=f"Therapist {i}", years_experience=5)
            for i, u in enumerate(users)
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(therapist=t, weekday=d, start=dt.time(DAY_START_HOUR), end=dt.time(DAY_END_HOUR))
            for t in therapist_rows
            for d in range(7)
        )
        client_rows = Client.objects.bulk_create(
            (
                Client(
                    clinic=clinic,
                    first_name=f"Client{i:05d}",
                    last_name=rng.choice(["Smith", "Jones", "Patel", "Nowak", "Garcia", "Okafor", "Kim"]),
                    date_of_birth=dt.date(1940 + i % 50, 1 + i % 12, 1 + i % 28),
                    email=f"client{i}@load.test",
                    primary_therapist=therapist_rows[i % therapists],
                )
                for i in range(clients)
            ),
            batch_size=2000,
        )

        # Past time, allocated backwards from yesterday per therapist, so seeded sessions never overlap.
        def past_slots():
            day = 1
            while True:
                date = today - dt.timedelta(days=day)
                for s in range(SLOTS_PER_DAY):
                    yield dt.datetime.combine(date, dt.time(DAY_START_HOUR), tzinfo=dt.UTC) + dt.timedelta(
                        minutes=SLOT_MINUTES * s
                    )
                day += 1

        slot_iters = [past_slots() for _ in therapist_rows]
        pool_rows: list[Appointment] = []
        # A client is in one session at a time (an exclusion constraint): no client twice in one slot.
        taken: set[tuple[dt.datetime, int]] = set()
        for ti, therapist in enumerate(therapist_rows):
            for _ in range(note_pool):
                start = next(slot_iters[ti])
                end = start + dt.timedelta(minutes=SLOT_MINUTES)
                who = rng.randrange(clients)
                while (start, who) in taken:
                    who = rng.randrange(clients)
                taken.add((start, who))
                pool_rows.append(
                    Appointment(
                        clinic=clinic,
                        client=client_rows[who],
                        therapist=therapist,
                        service=service,
                        starts_at=start,
                        ends_at=end,
                        blocked_until=end,
                    )
                )
        Appointment.objects.bulk_create(pool_rows, batch_size=5000)

        history_rows: list[Appointment] = []
        for ci in range(min(history_clients, clients)):
            ti = ci % therapists
            for _ in range(history_sessions):
                start = next(slot_iters[ti])
                end = start + dt.timedelta(minutes=SLOT_MINUTES)
                history_rows.append(
                    Appointment(
                        clinic=clinic,
                        client=client_rows[ci],
                        therapist=therapist_rows[ti],
                        service=service,
                        starts_at=start,
                        ends_at=end,
                        blocked_until=end,
                        status=Appointment.Status.COMPLETED,
                    )
                )
        Appointment.objects.bulk_create(history_rows, batch_size=5000)
        notes = []
        for a in history_rows:
            pain = rng.randint(3, 8)
            notes.append(
                SessionNote(
                    appointment=a,
                    client=a.client,
                    modality="swedish",
                    pressure="light",
                    minutes=30,
                    areas_treated=[{"region": "foot", "side": "left"}],
                    pain_before=pain,
                    pain_after=max(0, pain - rng.randint(0, 3)),
                    numbness_before=rng.randint(2, 7),
                    numbness_after=rng.randint(1, 6),
                    tingling_before=rng.randint(2, 7),
                    tingling_after=rng.randint(1, 6),
                    soreness_after=rng.randint(0, 3),
                    signed_at=a.ends_at,
                    signed_by=a.therapist.user,
                    created_by=a.therapist.user,
                )
            )
        SessionNote.objects.bulk_create(notes, batch_size=5000)

        by_therapist: dict[int, list[int]] = {t.id: [] for t in therapist_rows}
        for a in pool_rows:
            by_therapist[a.therapist_id].append(a.id)
        plan_users = []
        for i, (user, therapist) in enumerate(zip(users, therapist_rows, strict=True)):
            _token, plain = api_token_create(user=user, name="load test", scopes=sorted(vocabulary()))
            plan_users.append(
                {
                    "index": i,
                    "username": user.username,
                    "user_id": user.id,
                    "therapist_id": therapist.id,
                    "token": plain,
                    "session": _session_for(user),
                    "note_pool": by_therapist[therapist.id],
                    # A therapist sees and books their own clients only (clients_visible_to,
                    # clients_bookable_by): reads, questionnaires and bookings (with themself) use these.
                    "client_ids": [c.id for j, c in enumerate(client_rows) if j % therapists == i],
                    "history_client_ids": [
                        c.id
                        for j, c in enumerate(client_rows[: min(history_clients, clients)])
                        if j % therapists == i
                    ],
                }
            )
    return {
        "clinic_id": clinic.id,
        "service_id": service.id,
        "therapist_ids": [t.id for t in therapist_rows],
        "room_ids": [r.id for r in room_rows],
        "client_ids": [c.id for c in client_rows],
        "history_client_ids": [c.id for c in client_rows[: min(history_clients, clients)]],
        "users": plan_users,
        "book_first_day": (today + dt.timedelta(days=1)).isoformat(),
        "book_days": book_days,
        "day_start_hour": DAY_START_HOUR,
        "slots_per_day": SLOTS_PER_DAY,
        "slot_minutes": SLOT_MINUTES,
        "seeded_at": now.isoformat(),
        "counts": {
            "therapists": len(therapist_rows),
            "clients": len(client_rows),
            "rooms": len(room_rows),
            "note_pool_appointments": len(pool_rows),
            "history_appointments_with_signed_notes": len(history_rows),
        },
    }
