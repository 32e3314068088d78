"""Demo data for the claims' measures (issue 21): for each demo client with signed sessions, the measures
that concern them (screening/data/measures.yaml) — PHQ-2 and GAD-2 at intake and after some weeks, the intake
questionnaires, a diary of the last weeks, the stress before and after each session and the falls since the
last visit, goniometer readings and the Timed Up and Go at baseline and at the latest visit. Some clients
improve and some do not, as in seed_notes. Idempotent: a client who already has a PHQ-2 is skipped.

Questionnaires and physical measures go through the services a therapist uses. The notes are already signed
(seed_notes), so their stress and falls are written onto the rows directly, as if they had been entered
before signing; the diary rows are written directly because the portal accepts only the last two weeks."""

import datetime
import random

from django.db import transaction

from nervecare.clients.models import Client
from nervecare.core.models import Clinic, User
from nervecare.portal.models import DiaryEntry
from nervecare.screening.measures import (
    applicable_diary_fields,
    applicable_movements,
    applies,
    client_facts,
    measure,
)
from nervecare.screening.models import InstrumentResponse
from nervecare.screening.services import response_create
from nervecare.visits.models import SessionNote
from nervecare.visits.physical import physical_measure_record

DIARY_DAYS = 42


def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def seed_claims(clinic: Clinic, actor: User, rng: random.Random) -> int:
    """Seed the claims' measures for the clinic's demo clients; returns how many clients got them."""
    done = 0
    for client in Client.objects.filter(clinic=clinic).order_by("id"):
        if InstrumentResponse.objects.filter(client=client, instrument="phq2").exists():
            continue
        notes = list(
            SessionNote.objects.filter(client=client, signed_at__isnull=False)
            .select_related("appointment")
            .order_by("appointment__starts_at")
        )
        if not notes:
            continue
        with transaction.atomic():
            _seed_client(client, actor, notes, rng)
        done += 1
    return done


def _seed_client(client: Client, actor: User, notes: list[SessionNote], rng: random.Random) -> None:
    improving = client.id % 3 != 0  # as seed_notes: about a third of clients do not improve
    facts = client_facts(client)
    first = notes[0].appointment.starts_at
    last = notes[-1].appointment.starts_at
    intake_at = first - datetime.timedelta(days=2)
    weeks = max(1, (last - first).days // 7)
    gain = min(1.0, weeks / 10) if improving else 0.0

    def answer(instrument: str, answers: dict, at: datetime.datetime, context: str) -> None:
        response_create(actor=actor, client=client, instrument=instrument, answers=answers,
                        administered_at=at, context=context)  # fmt: skip

    phq = [rng.choice((1, 2, 2, 3)), rng.choice((1, 1, 2, 3))]
    gad = [rng.choice((1, 2, 2, 3)), rng.choice((1, 2, 3))]
    answer("phq2", {"1": phq[0], "2": phq[1]}, intake_at, "intake")
    answer("gad2", {"1": gad[0], "2": gad[1]}, intake_at, "intake")
    sleep0 = rng.choice((3, 4, 4, 5))
    answer("nrs_sleep_quality", {"sleep_quality": sleep0}, intake_at, "intake")
    cramps0 = rng.choice((4, 6, 8, 10))
    headache0 = rng.choice((6, 8, 10))
    joint0 = rng.choice((5, 6, 7))
    if applies(measure("cramps_per_week"), facts):
        answer("cramps_week", {"per_week": cramps0}, intake_at, "intake")
    if applies(measure("headache_days"), facts):
        answer("headache_days", {"days": headache0}, intake_at, "intake")
    if applies(measure("joint_pain"), facts):
        answer("nrs_joint_pain", {"joint_pain": joint0}, intake_at, "intake")
    if len(notes) >= 3:
        later = last - datetime.timedelta(hours=1)
        drop = round(gain * 2)
        answer(
            "phq2", {"1": max(0, phq[0] - drop // 2), "2": max(0, phq[1] - (drop + 1) // 2)}, later, "visit"
        )
        answer(
            "gad2", {"1": max(0, gad[0] - (drop + 1) // 2), "2": max(0, gad[1] - drop // 2)}, later, "visit"
        )

    asks_falls = applies(measure("falls"), facts)
    for note in notes:
        before = rng.choice((5, 6, 6, 7, 8))
        note.stress_before = before
        note.stress_after = _clip(before - rng.choice((1, 2, 2, 3)), 0, 10)
        note.falls_since_last_visit = (
            (1 if rng.random() < (0.15 if not improving else 0.08) else 0) if asks_falls else None
        )
    SessionNote.objects.bulk_update(notes, ["stress_before", "stress_after", "falls_since_last_visit"])

    fields = applicable_diary_fields(client, facts)
    condition = client.conditions.first()
    base_pain = (condition.pain if condition and condition.pain is not None else 5) if condition else 5
    end = last.date()
    entries = []
    for i in range(DIARY_DAYS):
        day = end - datetime.timedelta(days=DIARY_DAYS - 1 - i)
        if rng.random() < 0.2:  # days the client did not fill in
            continue
        progress = gain * i / DIARY_DAYS
        entry = DiaryEntry(
            client=client,
            day=day,
            pain=_clip(base_pain - 2 * progress + rng.choice((-1, 0, 0, 1)), 0, 10),
            numbness=_clip(5 - progress + rng.choice((-1, 0, 1)), 0, 10),
            tingling=_clip(5 - 1.5 * progress + rng.choice((-1, 0, 1)), 0, 10),
        )
        if "sleep_quality" in fields:
            entry.sleep_quality = _clip(sleep0 + 2 * progress + rng.choice((-1, 0, 1)), 0, 10)
        if "cramp_count" in fields:
            entry.cramp_count = _clip(cramps0 / 7 * (1 - 0.5 * progress) + rng.choice((-1, 0, 0, 1)), 0, 50)
            entry.cramp_worst = _clip(6 - 2 * progress + rng.choice((-1, 0, 1)), 0, 10)
        if "headache" in fields:
            entry.headache = rng.random() < headache0 / 30 * (1 - 0.4 * progress)
        if "joint_pain" in fields:
            entry.joint_pain = _clip(joint0 - 1.5 * progress + rng.choice((-1, 0, 1)), 0, 10)
        entries.append(entry)
    DiaryEntry.objects.bulk_create(entries, ignore_conflicts=True)

    moments = [(notes[0], "baseline")]
    if len(notes) >= 4:
        moments.append((notes[-1], "reevaluation"))
    movements = applicable_movements(client, facts)
    tug0 = rng.choice((11.5, 12.8, 13.9, 15.2))
    for n, (note, context) in enumerate(moments):
        appt = note.appointment
        for code, mv in movements.items():
            for side in ("left", "right"):
                start = mv.normal_max * rng.choice((0.5, 0.6, 0.7))
                data = {"measurement": code, "context": context, "side": side, "mode": "active",
                        "reading": round(start + n * gain * mv.normal_max * 0.15), "measured_at": appt.starts_at,
                        "appointment_id": appt.id}  # fmt: skip
                physical_measure_record(actor=actor, client=client, data=data)
        if applies(measure("tug"), facts):
            data = {"measurement": "tug", "context": context, "reading": round(tug0 - n * gain * 1.5, 1),
                    "measured_at": appt.starts_at, "appointment_id": appt.id}  # fmt: skip
            physical_measure_record(actor=actor, client=client, data=data)
