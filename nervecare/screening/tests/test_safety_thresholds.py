"""A clinic's safety thresholds: the published defaults until the clinic sets its own (clinical-reference.md §2).

They moved from core.Clinic to screening (issue 15: core knows no domain); the migration carries every
clinic's values across, both ways.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.core.tests.factories import ClinicFactory
from nervecare.screening.models import SafetyThresholds
from nervecare.screening.selectors import thresholds_for
from nervecare.screening.services import safety_check_run

BEFORE = [("core", "0006_clinic_people_not_superuser"), ("screening", "0002_safetyflag_basis")]
AFTER = [("core", "0007_clinic_safety_thresholds_moved_to_screening")]
PUBLISHED = {
    "platelets_min_per_ul": 50_000,
    "platelets_policy": "modify",
    "neutrophils_min_per_ul": 500,
    "fever_min_celsius": Decimal("38.0"),
    "dvt_history_months": 6,
}


def values(row):
    return {name: getattr(row, name) for name in PUBLISHED}


@pytest.mark.django_db
def test_a_clinic_without_its_own_thresholds_gets_the_published_defaults(clinic):
    thresholds = thresholds_for(clinic)

    assert values(thresholds) == PUBLISHED
    assert thresholds.clinic_id == clinic.pk
    assert thresholds._state.adding  # read only: nothing is written for the clinic
    assert not SafetyThresholds.objects.exists()


@pytest.mark.django_db
def test_a_clinics_own_thresholds_are_read_and_only_for_that_clinic(clinic):
    SafetyThresholds.objects.create(clinic=clinic, fever_min_celsius=Decimal("37.5"))
    other = ClinicFactory()

    assert thresholds_for(clinic).fever_min_celsius == Decimal("37.5")
    assert thresholds_for(clinic.pk).fever_min_celsius == Decimal("37.5")
    assert thresholds_for(other).fever_min_celsius == Decimal("38.0")


@pytest.mark.django_db
def test_the_safety_check_uses_the_clients_clinics_thresholds(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, type="focal", cause="injury")
    MedicalContextFactory(client=client, temperature_celsius=Decimal("37.6"))
    assert safety_check_run(actor=therapist_user, client=client) == []  # below the published 38.0 °C

    SafetyThresholds.objects.create(clinic=clinic, fever_min_celsius=Decimal("37.5"))

    (flag,) = safety_check_run(actor=therapist_user, client=client)
    assert (flag.rule_id, flag.level) == ("fever", "stop")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_every_clinics_thresholds_across_and_back():
    old = migrate(BEFORE)
    Clinic = old.get_model("core", "Clinic")
    Clinic.objects.create(
        name="Strict",
        slug="strict",
        platelets_min_per_ul=75_000,
        platelets_policy="stop",
        neutrophils_min_per_ul=1000,
        fever_min_celsius=Decimal("37.5"),
        dvt_history_months=12,
    )
    Clinic.objects.create(name="Default", slug="default")

    new = migrate(AFTER)
    rows = {t.clinic.slug: t for t in new.get_model("screening", "SafetyThresholds").objects.all()}
    assert values(rows["strict"]) == {
        "platelets_min_per_ul": 75_000,
        "platelets_policy": "stop",
        "neutrophils_min_per_ul": 1000,
        "fever_min_celsius": Decimal("37.5"),
        "dvt_history_months": 12,
    }
    assert values(rows["default"]) == PUBLISHED

    back = migrate(BEFORE)  # reversed: the values go back to the clinic
    strict = back.get_model("core", "Clinic").objects.get(slug="strict")
    assert (strict.platelets_policy, strict.fever_min_celsius, strict.dvt_history_months) == (
        "stop",
        Decimal("37.5"),
        12,
    )
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())
