"""audit.held_together (issue 20): the events of a block go in together, in one INSERT, as it ends: in the same
transaction and order as one by one, none lost, none kept when the block fails. SQLite and PostgreSQL."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import audit
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _audit_inserts(captured: list[dict]) -> int:
    return sum(1 for q in captured if q["sql"].startswith('INSERT INTO "core_auditevent"'))


def test_the_events_of_a_block_go_in_together_in_order_and_verify(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        with audit.held_together():
            first = audit.record(actor=therapist_user, action="create", obj=client, summary="first")
            with audit.held_together():  # a nested block joins the outer one
                audit.record(actor=therapist_user, action="update", obj=client, summary="second")
            assert AuditEvent.objects.count() == before  # held until the block ends
            assert first is not None and first.pk is None
        assert AuditEvent.objects.count() == before + 2
    assert _audit_inserts(ctx.captured_queries) == 1
    stored = list(AuditEvent.objects.filter(client_id=client.pk).order_by("id"))
    assert [(e.summary, e.action, e.actor_id) for e in stored] == [
        ("first", "create", therapist_user.pk),
        ("second", "update", therapist_user.pk),
    ]
    assert first.pk == stored[0].pk
    assert all(report.broken is None for report in audit.verify(only=[clinic.pk]))


def test_a_failing_block_keeps_none_of_its_events(therapist_user, clinic):
    client = ClientFactory(clinic=clinic)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), audit.held_together():
        audit.record(actor=therapist_user, action="update", obj=client, summary="lost with the block")
        raise RuntimeError("the service failed")
    assert AuditEvent.objects.count() == before
    # The next event is appended at once again (nothing is left held).
    with CaptureQueriesContext(connection) as ctx:
        audit.record(actor=therapist_user, action="view", obj=client)
    assert _audit_inserts(ctx.captured_queries) == 1
    assert AuditEvent.objects.count() == before + 1
