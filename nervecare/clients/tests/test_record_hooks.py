"""A change to the clinical record re-runs the safety check (registered by screening, above clients) in the
same transaction; with no check registered the change is refused rather than left unchecked."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from nervecare.clients import hooks
from nervecare.clients.models import Client, MedicalContext
from nervecare.clients.services import medical_context_update
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.screening.models import SafetyFlag
from nervecare.screening.services import safety_check_run


def test_screening_registers_its_safety_check_with_the_record():
    assert safety_check_run in hooks._record_changed


@pytest.fixture
def maria(clinic):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, type="peripheral", cause="diabetes_t2")
    return client


def test_a_medical_history_change_opens_the_safety_flag_at_once(maria, therapist_user):
    month_ago = timezone.localdate() - datetime.timedelta(days=30)
    medical_context_update(
        actor=therapist_user, client=maria, data={"dvt_history": True, "dvt_date": month_ago}
    )
    assert SafetyFlag.objects.filter(client=maria, rule_id="dvt_history", status="open").exists()


def test_without_a_registered_check_the_change_is_refused_and_nothing_written(
    maria, therapist_user, monkeypatch
):
    monkeypatch.setattr(hooks, "_record_changed", [])
    month_ago = timezone.localdate() - datetime.timedelta(days=30)
    with pytest.raises(ImproperlyConfigured):
        medical_context_update(
            actor=therapist_user, client=maria, data={"dvt_history": True, "dvt_date": month_ago}
        )
    assert not MedicalContext.objects.filter(client=maria, dvt_history=True).exists()
    assert Client.objects.filter(pk=maria.pk).exists()
