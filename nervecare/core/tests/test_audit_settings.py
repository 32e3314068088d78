"""NERVECARE_AUDIT switches the trail off (for the load test's comparison only); the deploy check warns."""

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import audit
from nervecare.core.models import AuditEvent


def deploy_warnings() -> list[str]:
    return [
        m.id for m in run_checks(include_deployment_checks=True) if m.id and m.id.startswith("nervecare.")
    ]


def test_on_by_default(settings):
    assert settings.NERVECARE_AUDIT is True
    assert "nervecare.W001" not in deploy_warnings()


@override_settings(NERVECARE_AUDIT=False)
def test_the_deploy_check_warns_when_it_is_off():
    assert "nervecare.W001" in deploy_warnings()


@pytest.mark.django_db
@override_settings(NERVECARE_AUDIT=False)
def test_off_records_nothing(therapist_user, clinic):
    assert audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic)) is None
    assert not AuditEvent.objects.exists()


def test_the_environment_variable_is_read(monkeypatch):
    import importlib

    import nervecare.settings as settings_module

    monkeypatch.setenv("NERVECARE_AUDIT", "0")
    monkeypatch.setenv("DEBUG", "1")
    try:
        assert importlib.reload(settings_module).NERVECARE_AUDIT is False
    finally:
        monkeypatch.delenv("NERVECARE_AUDIT")
        importlib.reload(settings_module)
