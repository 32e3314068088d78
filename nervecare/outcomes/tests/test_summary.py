"""The per-client summary table: the clinic numbers grouped over it are the numbers computed from scratch,
with both engines; a change to a client's notes marks the row stale and the next read recomputes it; the
rebuild command and the refresh job."""

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.outcomes import cohort, stats, summary
from nervecare.outcomes.models import ClientOutcomeSummary
from nervecare.outcomes.summary import refresh_outcome_summaries
from nervecare.outcomes.tests.conftest import WEEK, now, plan_for, session
from nervecare.outcomes.tests.test_cohort import network  # noqa: F401 - the random network fixture
from nervecare.visits import services as visit_services

pytestmark = pytest.mark.django_db


def assert_same_group(got: dict, want: dict, where: str) -> None:
    assert got.keys() >= want.keys() - {"key", "label"}, where
    for name, expected in want.items():
        value = got[name]
        if isinstance(expected, stats.Estimate):
            assert (value.n, value.method, value.note) == (expected.n, expected.method, expected.note), (
                where,
                name,
            )
            for part in ("value", "low", "high"):
                a, b = getattr(value, part), getattr(expected, part)
                assert (a is None) == (b is None), (where, name, part)
                if b is not None:
                    assert a == pytest.approx(b, rel=1e-9, abs=1e-9), (where, name, part)
        elif isinstance(expected, float):
            assert value == pytest.approx(expected, rel=1e-12), (where, name)
        else:
            assert value == expected, (where, name)


def assert_same_outcomes(got: dict, want: dict) -> None:
    assert_same_group(got["overall"], want["overall"], "overall")
    for dimension, groups in want["groups"].items():
        assert [g["key"] for g in got["groups"][dimension]] == [g["key"] for g in groups], dimension
        for g, w in zip(got["groups"][dimension], groups, strict=True):
            assert_same_group(g, w, f"{dimension}={w['key']}")
    by_id = {r.client_id: r for r in got["clients"]}
    assert sorted(by_id) == sorted(r.client_id for r in want["clients"])
    for r in want["clients"]:
        mine = by_id[r.client_id]
        for name in ("type", "cause", "modality", "therapist", "therapist_id", "completed", "no_show"):
            assert getattr(mine, name) == getattr(r, name), (r.client_id, name)
        for name in ("signed_notes", "adverse_events", "dropped_out", "sessions", "n_weeks", "status"):
            assert getattr(mine, name) == getattr(r, name), (r.client_id, name)
        assert mine.baseline == pytest.approx(r.baseline) and mine.current == pytest.approx(r.current)


@pytest.mark.parametrize("engine", summary.AGG_ENGINES)
def test_summary_table_gives_the_from_scratch_numbers(network, clinic, alice_therapist, engine):  # noqa: F811
    at = now()
    filters = [
        cohort.CohortFilters(measure="pain"),
        cohort.CohortFilters(measure="numbness"),
        cohort.CohortFilters(measure="tingling", type="peripheral"),
        cohort.CohortFilters(measure="pain", therapist_id=alice_therapist.id),
        cohort.CohortFilters(measure="pain", modality="mld", cause="injury"),
    ]
    for f in filters:
        got = cohort.clinic_outcomes(clinic, f, engine=engine, now=at, with_model=False)
        want = cohort.clinic_outcomes_from_scratch(clinic, f, now=at)
        assert got["overall"]["clients"] == len(want["clients"])
        assert_same_outcomes(got, want)
    # The comparison has something to compare: verdicts of every kind and drop-outs.
    pain = cohort.clinic_outcomes_from_scratch(clinic, filters[0], now=at)
    assert pain["overall"]["evaluable"] > 3 and pain["overall"]["dropout"].value


def test_random_courses_agree_after_random_edits(clinic, alice_therapist):
    """Many random clients (missing weeks, ratings of 0, two sessions a week), summarised, then some notes
    and conditions edited: the grouped numbers still equal the from-scratch ones."""
    rng = random.Random(11)
    clients = []
    for i in range(30):
        client = ClientFactory(clinic=clinic, first_name=f"R{i}")
        clients.append(client)
        ConditionFactory(
            client=client,
            type=rng.choice(["peripheral", "focal"]),
            cause=rng.choice(["diabetes_t2", "injury"]),
            pain=rng.choice([None, 0, 4, 8]),
        )
        plan = plan_for(client, alice_therapist, modality=rng.choice(["swedish", "mld"]), course_weeks=8)
        start = now() - WEEK * rng.randint(2, 14)
        for w in range(rng.randint(0, 10)):
            at = start + WEEK * w + dt.timedelta(minutes=rng.randint(0, 600))
            if at < now() - dt.timedelta(hours=2):
                session(
                    client, alice_therapist, at, plan=plan, pain_before=rng.choice([None, 0, 3, 6, 9, 10])
                )
    assert cohort.clinic_outcomes(clinic, with_model=False)["overall"]["clients"] == 30
    assert not ClientOutcomeSummary.objects.filter(stale=True).exists()
    for client in rng.sample(clients, 8):
        note = client.session_notes.order_by("?").first()
        if note is not None:
            note.pain_before = rng.randint(0, 10)
            note.save()
        client.conditions.update(type="autoimmune")  # a bulk update sends no signal: marked by hand
        summary.mark_stale([client.id])
    assert ClientOutcomeSummary.objects.filter(stale=True).exists()
    at = now()
    for engine in summary.AGG_ENGINES:
        got = cohort.clinic_outcomes(clinic, engine=engine, now=at, with_model=False)
        assert_same_outcomes(got, cohort.clinic_outcomes_from_scratch(clinic, now=at))
    assert not ClientOutcomeSummary.objects.filter(stale=True).exists()


def test_amending_a_note_updates_the_summary(rosa, clinic, therapist_user):
    before = cohort.clinic_outcomes(clinic, with_model=False)
    row = ClientOutcomeSummary.objects.get(client=rosa)
    assert not row.stale and row.pain_baseline == 6
    note = rosa.session_notes.filter(signed_at__isnull=False).order_by("-appointment__starts_at").first()
    note.areas_treated = [{"region": "feet", "side": "both"}]  # a complete note (the helper writes none)
    note.save(update_fields=["areas_treated"])
    summary.rebuild(clinic.id)
    visit_services.note_amend(
        actor=therapist_user, note=note, reason="Client misread the scale", changes={"pain_before": 10}
    )
    row.refresh_from_db()
    assert row.stale  # marked in the amendment's transaction
    after = cohort.clinic_outcomes(clinic, with_model=False)
    row.refresh_from_db()
    assert not row.stale
    want = cohort.clinic_outcomes_from_scratch(clinic)
    assert row.pain_current == pytest.approx(
        next(r for r in want["clients"] if r.client_id == rosa.id).current
    )
    assert after["overall"]["mean_change"].value != before["overall"]["mean_change"].value
    assert_same_outcomes(after, want)


def test_the_refresh_job_recomputes_stale_rows(rosa, clinic, alice_therapist):
    summary.rebuild(clinic.id)
    session(rosa, alice_therapist, now() - dt.timedelta(hours=3), pain_before=0)
    assert ClientOutcomeSummary.objects.get(client=rosa).stale
    refresh_outcome_summaries.call_local()
    row = ClientOutcomeSummary.objects.get(client=rosa)
    assert not row.stale and row.completed == rosa.appointments.filter(status="completed").count()


def test_rebuild_command_reports_progress(network, clinic, capsys):  # noqa: F811
    ClientOutcomeSummary.objects.all().delete()
    call_command("outcomes", "rebuild", "--clinic", clinic.slug)
    out = capsys.readouterr().out
    assert f"{clinic.slug}: 20 of 20 clients (100%)" in out and "20 client summaries rebuilt" in out
    assert ClientOutcomeSummary.objects.filter(clinic=clinic).count() == 20


def test_rebuild_command_names_an_unknown_clinic():
    with pytest.raises(CommandError, match="--clinic: no clinic with the slug 'nowhere'"):
        call_command("outcomes", "rebuild", "--clinic", "nowhere")


def test_mean_from_sums_is_mean_ci():
    rng = random.Random(2)
    for values in ([], [3.0], [2.5, 2.5, 2.5], [rng.uniform(-10, 10) for _ in range(50)], [1.0, -2.0]):
        got = stats.mean_ci_from_sums(len(values), sum(values), sum(v * v for v in values))
        want = stats.mean_ci(values)
        assert (got.n, got.note, got.method) == (want.n, want.note, want.method)
        for part in ("value", "low", "high"):
            assert getattr(got, part) == pytest.approx(getattr(want, part))
