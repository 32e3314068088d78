"""Concurrent writers on a real PostgreSQL server: no duplicate flags, never two active plans."""

import threading

import pytest
from django.db import connection, connections

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.core.errors import FieldErrors
from nervecare.plans.models import CarePlan
from nervecare.plans.services import plan_activate, plan_propose
from nervecare.screening.models import SafetyFlag
from nervecare.screening.services import safety_check_run

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a real multi-connection server (run with DATABASE_URL=postgres://…)",
)


def run_concurrently(target, n: int) -> list:
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            outcome = target(i)
        except Exception as exc:  # noqa: BLE001 - every outcome is collected and asserted on
            outcome = exc
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_safety_checks_open_each_flag_once(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="diabetes_t2")
    MedicalContextFactory(client=client, on_anticoagulants=True, on_insulin_or_sulfonylurea=True)
    results = run_concurrently(lambda i: safety_check_run(actor=therapist_user, client=client), 8)
    assert not [r for r in results if isinstance(r, Exception)]
    open_rules = list(
        SafetyFlag.objects.filter(client=client, status="open").values_list("rule_id", flat=True)
    )
    assert sorted(open_rules) == ["anticoagulants_bleeding", "diabetic_foot_care", "hypoglycaemia_risk"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_exactly_one_active_plan(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="diabetes_t2")
    plans = [plan_propose(actor=therapist_user, client=client)[0] for _ in range(4)]
    results = run_concurrently(lambda i: plan_activate(actor=therapist_user, plan=plans[i % 4]), 8)
    succeeded = [r for r in results if isinstance(r, CarePlan)]
    refused = [r for r in results if isinstance(r, FieldErrors)]
    assert len(succeeded) == 1, results
    assert len(refused) == 7, results
    assert all("status" in r.errors for r in refused)
    assert CarePlan.objects.filter(client=client, status="active").count() == 1
