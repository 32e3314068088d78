"""Issue 19 point 11: a refused clearance keeps what was typed and shows the error by the field."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.screening.models import SafetyFlag
from nervecare.screening.services import safety_check_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def dvt_flag(clinic, therapist_user):
    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="injury", type="focal")
    MedicalContextFactory(
        client=client, dvt_history=True, dvt_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    safety_check_run(actor=therapist_user, client=client)
    return SafetyFlag.objects.get(client=client, rule_id="dvt_history", status="open")


def test_a_future_clearance_date_is_refused_with_the_typed_values_kept(dvt_flag, therapist_user):
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    http = login(therapist_user)
    r = http.post(
        reverse("screening:clearance", args=[dvt_flag.client_id, dvt_flag.id]),
        {"clinician": "Dr Amelia Lee", "clearance_date": future, "note": "Seen in clinic"},
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert 'value="Dr Amelia Lee"' in html
    assert f'value="{future}"' in html
    assert "Seen in clinic" in html
    # The error sits by the date field, not in a banner of codes.
    date_block = html[html.index('name="clearance_date"') :]
    assert "future" in date_block[: date_block.index("</div>") + 200]
    dvt_flag.refresh_from_db()
    assert dvt_flag.status == "open"


def test_a_valid_clearance_still_goes_back_to_the_record(dvt_flag, therapist_user):
    r = login(therapist_user).post(
        reverse("screening:clearance", args=[dvt_flag.client_id, dvt_flag.id]),
        {"clinician": "Dr Lee", "clearance_date": timezone.localdate().isoformat()},
    )
    assert r.status_code == 302
    dvt_flag.refresh_from_db()
    assert dvt_flag.resolution == "cleared"


def test_a_refusal_of_the_service_lands_on_the_form_too(dvt_flag, therapist_user):
    dvt_flag.status = "resolved"
    dvt_flag.save()
    r = login(therapist_user).post(
        reverse("screening:clearance", args=[dvt_flag.client_id, dvt_flag.id]),
        {"clinician": "Dr Lee", "clearance_date": timezone.localdate().isoformat()},
    )
    assert r.status_code == 422
    assert "already resolved" in r.content.decode()
    assert 'value="Dr Lee"' in r.content.decode()
