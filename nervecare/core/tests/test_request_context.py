"""The audit trail learns the client's address from the request being served, not from services' arguments."""

import pytest
from django.test import Client as HttpClient

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core import audit, request_context
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_page_read_records_the_address_it_came_from(therapist_user, clinic):
    client = ClientFactory(clinic=clinic, primary_therapist=therapist_user.therapist)
    http: HttpClient = login(therapist_user)
    response = http.get(f"/clients/{client.pk}/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="view", object_id=str(client.pk)).latest("id")
    assert event.ip_address == "203.0.113.7"


def test_a_read_is_recorded_once_per_request_and_again_in_the_next(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    with request_context.bound(_request("198.51.100.2")):
        audit.audit_view(therapist_user, client, "Viewed")
        audit.audit_view(therapist_user, client, "Viewed again")  # the same request: no second event
    with request_context.bound(_request("198.51.100.3")):
        audit.audit_view(therapist_user, client, "Viewed")
    events = list(
        AuditEvent.objects.filter(action="view").order_by("id").values_list("ip_address", flat=True)
    )
    assert events == ["198.51.100.2", "198.51.100.3"]


def test_outside_a_request_there_is_no_address_and_every_read_counts(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    assert request_context.current() is None
    audit.audit_view(therapist_user, client, "Viewed")
    audit.audit_view(therapist_user, client, "Viewed")
    assert list(AuditEvent.objects.values_list("ip_address", flat=True)) == [None, None]


def _request(ip: str):
    from django.test import RequestFactory

    return RequestFactory().get("/", REMOTE_ADDR=ip)
