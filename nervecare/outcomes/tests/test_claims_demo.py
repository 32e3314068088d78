"""The demo clinic's claims ledger reproduced from the raw rows by independent SQL (issue 21 point 4): the
demo is seeded once, then each number the ledger shows for pain, mood, stress, balance and falls is
recomputed here from the tables, with SciPy for the intervals."""

# The queries below are built from constant strings only (the clinic id is a parameter).
# ruff: noqa: S608

import datetime as dt
from collections import defaultdict
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime
from scipy import stats as sps

from nervecare.core.models import Clinic
from nervecare.outcomes.claims.selectors import clinic_claims

pytestmark = pytest.mark.django_db


def _when(value):
    if isinstance(
        value, str
    ):  # SQLite hands back text: a diary day ("2026-10-24") counts at noon, as a date does
        if len(value) == 10:
            return dt.datetime.combine(parse_date(value), dt.time(12), tzinfo=dt.UTC)
        return _when(parse_datetime(value))
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(value, dt.time(12), tzinfo=dt.UTC)


def _sql(query, params=()):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _changes(per_client, min_days=1):
    """Baseline = first reading; now = mean of the readings of the last 28 days of follow-up."""
    out = []
    for readings in per_client.values():
        readings.sort(key=lambda r: r[0])
        base_at, base = readings[0]
        follow = [(t, v) for t, v in readings if t >= base_at + dt.timedelta(days=min_days)]
        if follow:
            last = follow[-1][0]
            out.append(np.mean([v for t, v in follow if t >= last - dt.timedelta(days=28)]) - base)
    return out


def _check(measure, changes):
    assert measure["n_clients"] == len(changes) > 1
    assert measure["change"]["value"] == pytest.approx(np.mean(changes))
    ci = sps.ttest_1samp(changes, 0).confidence_interval(0.95)
    assert (measure["change"]["low"], measure["change"]["high"]) == pytest.approx((ci.low, ci.high))


def test_the_demo_ledger_is_reproduced_from_the_raw_rows():
    call_command("demo", stdout=StringIO())
    clinic = Clinic.objects.get(name__startswith="Riverside")
    ledger = clinic_claims(clinic)
    measures = {m["code"]: m for c in ledger["claims"] for m in c["measures"]}
    clients = "SELECT id FROM clients_client WHERE clinic_id = %s AND deleted_at IS NULL"

    # Mood: PHQ-2 totals.
    phq = defaultdict(list)
    for cid, at, total in _sql(
        f"SELECT client_id, administered_at, total FROM screening_instrumentresponse "
        f"WHERE instrument = 'phq2' AND client_id IN ({clients})",
        [clinic.id],
    ):
        phq[cid].append((_when(at), float(total)))
    _check(measures["phq2"], _changes(phq))
    assert measures["phq2"]["n_readings"] == sum(len(v) for v in phq.values())

    # Stress: after - before within each signed session, each client's mean, then their mean.
    stress = defaultdict(list)
    visits = set()
    for cid, appointment, before, after in _sql(
        f"SELECT client_id, appointment_id, stress_before, stress_after FROM visits_sessionnote "
        f"WHERE signed_at IS NOT NULL AND stress_before IS NOT NULL AND stress_after IS NOT NULL "
        f"AND client_id IN ({clients})",
        [clinic.id],
    ):
        stress[cid].append(after - before)
        visits.add(appointment)
    _check(measures["stress"], [float(np.mean(v)) for v in stress.values()])
    assert measures["stress"]["n_visits"] == len(visits)

    # Balance: Timed Up and Go, first vs the later readings.
    tug = defaultdict(list)
    for cid, at, value in _sql(
        f"SELECT client_id, measured_at, value FROM visits_physicalmeasure WHERE kind = 'tug' "
        f"AND client_id IN ({clients})",
        [clinic.id],
    ):
        tug[cid].append((_when(at), float(value)))
    _check(measures["tug"], _changes(tug))

    # Falls: counts only.
    ((falls, asked),) = _sql(
        f"SELECT SUM(falls_since_last_visit), COUNT(*) FROM visits_sessionnote WHERE signed_at IS NOT NULL "
        f"AND falls_since_last_visit IS NOT NULL AND client_id IN ({clients})",
        [clinic.id],
    )
    assert measures["falls"]["current"] == float(falls) and measures["falls"]["n_readings"] == asked

    # Pain: the intake rating (when it came first), the ratings before each signed session, the diary.
    pain = defaultdict(list)
    for cid, at, value, source in _sql(
        f"SELECT c.client_id, c.created_at, c.pain, 'intake' FROM clients_condition c WHERE c.pain IS NOT NULL "
        f"AND c.id = (SELECT MIN(c2.id) FROM clients_condition c2 WHERE c2.client_id = c.client_id "
        f"AND c2.created_at = (SELECT MIN(created_at) FROM clients_condition c3 WHERE c3.client_id = c.client_id)) "
        f"AND c.client_id IN ({clients}) "
        f"UNION ALL SELECT n.client_id, a.starts_at, n.pain_before, 'note' FROM visits_sessionnote n "
        f"JOIN scheduling_appointment a ON a.id = n.appointment_id WHERE n.signed_at IS NOT NULL "
        f"AND n.pain_before IS NOT NULL AND n.client_id IN ({clients}) "
        f"UNION ALL SELECT d.client_id, d.day, d.pain, 'diary' FROM portal_diaryentry d "
        f"WHERE d.client_id IN ({clients})",
        [clinic.id, clinic.id, clinic.id],
    ):
        when = _when(at)
        if source == "diary":  # the UNION hands the diary's day back as midnight; a diary day counts at noon
            when = dt.datetime.combine(when.date(), dt.time(12), tzinfo=dt.UTC)
        pain[cid].append((when, float(value), source))
    cleaned = {}
    for cid, rows in pain.items():
        rows.sort(key=lambda r: r[0])
        cleaned[cid] = [(t, v) for i, (t, v, s) in enumerate(rows) if s != "intake" or i == 0]
    changes = _changes(cleaned)
    _check(measures["pain"], changes)
    bases = {cid: rows[0][1] for cid, rows in cleaned.items()}
    farrar = 0
    for cid, rows in cleaned.items():
        base_at = rows[0][0]
        follow = [(t, v) for t, v in rows if t >= base_at + dt.timedelta(days=1)]
        if follow:
            now = np.mean([v for t, v in follow if t >= follow[-1][0] - dt.timedelta(days=28)])
            drop = bases[cid] - now
            farrar += bool(drop >= 2 or (bases[cid] > 0 and drop / bases[cid] >= 0.3))
    assert measures["pain"]["important_count"] == farrar

    claims = {c["id"]: c for c in ledger["claims"]}
    assert claims["immunity"]["status"] == "not_measurable"
    assert all(claims[c]["status"] == "data" for c in ("nerve_pain", "mood", "stress", "sleep", "balance"))
