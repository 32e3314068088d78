"""The hash chain: appending, verifying, and finding the first broken link after tampering."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import audit, request_context
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["deferred", "inline"])
def seal_mode(request, settings):
    """Every test here runs with both ways of sealing (PostgreSQL; SQLite always seals inline)."""
    settings.NERVECARE_AUDIT_SEAL = request.param
    return audit.seal_mode()


def _sealed(events):
    """The events as stored once sealed (deferred sealing: `seal` gives them their places)."""
    audit.seal()
    return [AuditEvent.objects.get(pk=e.pk) for e in events]


def _events(actor, client, n):
    return _sealed(
        [audit.record(actor=actor, action="view", obj=client, summary=f"read {i}") for i in range(n)]
    )


def _raw(sql, params):
    """Change the table behind the application's back (the trigger is let through for the test)."""
    with audit.maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_each_clinic_has_its_own_contiguous_chain(therapist_user, other_clinic_user, clinic, other_clinic):
    mine, theirs = ClientFactory(clinic=clinic), ClientFactory(clinic=other_clinic)
    a1, a2 = _events(therapist_user, mine, 2)
    b1, a3 = _sealed(
        [
            audit.record(actor=other_clinic_user, action="view", obj=theirs),
            audit.record(actor=therapist_user, action="view", obj=mine),
        ]
    )
    assert (a1.chain, a1.seq, a1.prev_hash) == (clinic.id, 1, audit.GENESIS)
    assert (a2.seq, a2.prev_hash) == (2, a1.hash)
    assert (a3.seq, a3.prev_hash) == (3, a2.hash)
    assert (b1.chain, b1.seq, b1.prev_hash) == (other_clinic.id, 1, audit.GENESIS)
    assert len({a1.hash, a2.hash, a3.hash, b1.hash}) == 4
    assert all(r.broken is None for r in audit.verify())


def test_the_stored_event_hashes_to_its_hash(therapist_user, clinic):
    event = audit.record(
        actor=therapist_user,
        action="update",
        obj=ClientFactory(clinic=clinic),
        changes={"first_name": ["Ann", "Anne"], "weight": [1.5, 2.25]},
    )
    (stored,) = _sealed([event])
    assert stored.seq == 1
    assert audit.event_hash({f: getattr(stored, f) for f in audit.HASHED_FIELDS}) == stored.hash
    assert stored.actor_username == "alice"
    assert stored.changes == {"first_name": ["Ann", "Anne"], "weight": [1.5, 2.25]}


def test_a_changed_event_breaks_the_chain_at_that_event(therapist_user, clinic):
    events = _events(therapist_user, ClientFactory(clinic=clinic), 5)
    _raw("UPDATE core_auditevent SET summary = %s WHERE id = %s", ["nothing to see", events[2].pk])
    report = audit.verify_chain(clinic.id)
    assert report.broken is not None
    assert (report.broken.seq, report.broken.event_id) == (3, events[2].pk)
    assert "changed" in report.broken.reason
    assert report.head_seq == 2  # what still verifies


def test_a_changed_event_with_a_recomputed_hash_breaks_the_next_link(therapist_user, clinic):
    events = _events(therapist_user, ClientFactory(clinic=clinic), 4)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.summary = "forged"
    new_hash = audit.event_hash({f: getattr(forged, f) for f in audit.HASHED_FIELDS})
    _raw("UPDATE core_auditevent SET summary = %s, hash = %s WHERE id = %s", ["forged", new_hash, forged.pk])
    report = audit.verify_chain(clinic.id)
    assert (report.broken.seq, report.broken.event_id) == (3, events[2].pk)
    assert "prev_hash" in report.broken.reason


def test_a_removed_event_is_found(therapist_user, clinic):
    events = _events(therapist_user, ClientFactory(clinic=clinic), 4)
    _raw("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    report = audit.verify_chain(clinic.id)
    assert (report.broken.seq, report.broken.event_id) == (3, events[2].pk)
    assert "expected seq 2" in report.broken.reason


def test_verify_command_passes_then_fails_with_the_broken_event(therapist_user, clinic):
    events = _events(therapist_user, ClientFactory(clinic=clinic), 3)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert f"chain {clinic.id}: 3 events verified" in out.getvalue()

    _raw("UPDATE core_auditevent SET ip_address = %s WHERE id = %s", ["203.0.113.9", events[1].pk])
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify", stdout=StringIO())
    assert failure.value.returncode == 1
    assert f"broken at seq 2 (audit event id {events[1].pk})" in str(failure.value)


def test_a_recorded_head_catches_removal_of_the_newest_events(therapist_user, clinic):
    events = _events(therapist_user, ClientFactory(clinic=clinic), 3)
    out = StringIO()
    call_command("audit", "head", "--clinic", clinic.slug, stdout=out)
    head = out.getvalue().strip()
    assert head == f"{clinic.id}:3:{events[2].hash}"
    call_command("audit", "verify", "--expect", head, stdout=StringIO())

    _raw("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    call_command("audit", "verify", stdout=StringIO())  # a shorter chain still verifies on its own…
    with pytest.raises(CommandError, match="recorded head 3:"):  # …but not against the recorded head
        call_command("audit", "verify", "--expect", head, stdout=StringIO())


def test_verify_command_rejects_bad_arguments(clinic):
    with pytest.raises(CommandError, match="--clinic: no clinic"):
        call_command("audit", "verify", "--clinic", "nowhere")
    with pytest.raises(CommandError, match="--expect: 'abc' is not CHAIN:SEQ:HASH"):
        call_command("audit", "verify", "--expect", "abc")


def test_values_the_database_normalises_still_verify(therapist_user, clinic):
    """PostgreSQL stores 1e20 in JSON as a plain number and an IPv4-mapped address in its dotted form: the
    hash covers what is stored, so the chain verifies in both ways of sealing."""
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR="::ffff:10.0.0.5")
    with request_context.bound(request):  # as RequestContextMiddleware does while a request is served
        audit.record(
            actor=therapist_user,
            action="update",
            obj=ClientFactory(clinic=clinic),
            changes={"big": 1e20, "zero": -0.0, "ratio": 2.50},
        )
    (report,) = audit.verify([clinic.id])
    assert report.broken is None and report.events == 1
    assert AuditEvent.objects.get().ip_address == "10.0.0.5"  # the IPv4 client behind the mapped address


def test_pending_events_restored_from_a_postgresql_backup_are_sealed_on_any_database(therapist_user, clinic):
    """A backup taken while the clinic worked may hold events stored but not sealed yet; restored (into
    SQLite too), they are sealed like any other and the chain verifies."""
    first = audit.record(actor=therapist_user, action="view", obj=ClientFactory(clinic=clinic))
    audit.seal()
    with connection.cursor() as cursor:  # as `nervecare restore` writes rows: a plain INSERT
        cursor.execute(
            "INSERT INTO core_auditevent (at, actor_id, actor_username, clinic_id, client_id, action, "
            "object_type, object_id, summary, changes, ip_address, chain, seq, prev_hash, hash) "
            "SELECT at, actor_id, actor_username, clinic_id, client_id, action, object_type, object_id, "
            "'restored pending', changes, ip_address, chain, NULL, '', '' FROM core_auditevent WHERE id = %s",
            [first.pk],
        )
    assert audit.pending_count(clinic.id) == 1
    assert audit.seal() == 1
    report = audit.verify_chain(clinic.id)
    assert (report.broken, report.events, report.pending) == (None, 2, 0)
