"""Signed checkpoints outside the database make truncating or rewriting the audit trail detectable even for
whoever owns the tables (issue 14, finding 9b). The attacks below are the owner's: the maintenance switch
lets the changes through, as switching the trigger off would."""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from nervecare.clients.services import client_update
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core import audit, tasks
from nervecare.core.audit import checkpoint as audit_checkpoint
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint_file(tmp_path, settings):
    path = tmp_path / "checkpoints" / "audit.jsonl"
    settings.NERVECARE_AUDIT_CHECKPOINT_FILE = str(path)
    settings.NERVECARE_AUDIT_CHECKPOINT_KEY = "k" * 40
    return path


@pytest.fixture
def busy_clinic(therapist_user):
    client = ClientFactory(clinic=therapist_user.clinic)
    for n in range(6):
        client_update(actor=therapist_user, client=client, data={"phone": f"555-01{n:02d}"})
    return client


def _verify(**kwargs):
    out = StringIO()
    call_command("audit", "verify", stdout=out, **kwargs)
    return out.getvalue()


def _failure(**kwargs) -> str:
    with pytest.raises(CommandError) as failed:
        _verify(**kwargs)
    assert failed.value.returncode == 1
    return str(failed.value)


def _rows(chain):
    return list(
        AuditEvent.objects.filter(chain=chain, seq__isnull=False)
        .order_by("seq")
        .values("id", "hash", *audit.HASHED_FIELDS)
    )


def _owner_delete_newest(chain: int, keep: int) -> None:
    with audit.maintenance(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE chain = %s AND seq > %s", [chain, keep])


def _owner_rewrite_and_reseal(chain: int, seq: int, summary: str) -> None:
    """Change one event and re-hash every event after it: the chain verifies again on its own."""
    prev = audit.GENESIS
    with audit.maintenance(), connection.cursor() as cursor:
        for row in _rows(chain):
            if row["seq"] == seq:
                row["summary"] = summary
            if row["seq"] >= seq:
                row["prev_hash"] = prev
                row["hash"] = audit.event_hash(row)
                cursor.execute(
                    "UPDATE core_auditevent SET summary = %s, prev_hash = %s, hash = %s WHERE id = %s",
                    [row["summary"], row["prev_hash"], row["hash"], row["id"]],
                )
            prev = row["hash"]


def test_normal_use_checkpoints_and_verifies(busy_clinic, therapist_user, checkpoint_file):
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert "1 chain heads checkpointed" in out.getvalue()
    assert audit_checkpoint.write() == []  # the head has not moved: nothing new to sign
    client_update(actor=therapist_user, client=busy_clinic, data={"phone": "555-0199"})
    assert len(audit_checkpoint.write()) == 1
    lines = [json.loads(line) for line in checkpoint_file.read_text().splitlines()]
    chain = therapist_user.clinic_id
    assert [(e["chain"], e["seq"]) for e in lines] == [(chain, 6), (chain, 7)]
    assert lines[1]["hash"] == audit.chain_head(chain)[1]
    assert "2 signed checkpoints" in _verify() and "all match" in _verify()


def test_the_newest_events_removed_are_detected(busy_clinic, therapist_user, checkpoint_file):
    audit_checkpoint.write()
    chain = therapist_user.clinic_id
    _owner_delete_newest(chain, keep=3)
    assert all(r.broken is None for r in audit.verify())  # the shorter chain verifies on its own
    failure = _failure()
    assert f"chain {chain}: ends at seq 3 but was checkpointed at seq 6" in failure
    assert "the newest events were removed" in failure


def test_removed_and_replaced_by_new_events_is_detected(busy_clinic, therapist_user, checkpoint_file):
    audit_checkpoint.write()
    chain = therapist_user.clinic_id
    _owner_delete_newest(chain, keep=3)
    for n in range(4):  # the chain grows back past the checkpoint, sealed afresh
        client_update(actor=therapist_user, client=busy_clinic, data={"phone": f"555-02{n:02d}"})
    assert all(r.broken is None for r in audit.verify())
    assert f"chain {chain}: seq 6 no longer has the hash checkpointed" in _failure()


def test_a_rewritten_and_resealed_event_is_detected(busy_clinic, therapist_user, checkpoint_file):
    audit_checkpoint.write()
    chain = therapist_user.clinic_id
    _owner_rewrite_and_reseal(chain, seq=2, summary="nothing to see")
    assert all(r.broken is None for r in audit.verify())
    failure = _failure()
    assert "events up to it were rewritten and the chain re-sealed" in failure
    with pytest.raises(audit_checkpoint.CheckpointError, match=f"chain {chain}"):
        audit_checkpoint.write()  # never signs a chain that no longer matches


@pytest.mark.parametrize(
    "forge",
    [
        lambda e: {**e, "seq": e["seq"] - 3},  # an edited line, old signature
        lambda e: {**e, "hash": "0" * 64},
        lambda e: {**e, "sig": "f" * 64},  # a forged line
        lambda e: "not json at all",
    ],
)
def test_an_edited_or_forged_checkpoint_line_fails(busy_clinic, checkpoint_file, forge):
    audit_checkpoint.write()
    entry = json.loads(checkpoint_file.read_text())
    forged = forge(entry)
    checkpoint_file.write_text((forged if isinstance(forged, str) else json.dumps(forged)) + "\n")
    failure = _failure()
    assert "line 1" in failure and ("signature does not match" in failure or "not a checkpoint" in failure)


def test_a_line_signed_with_another_key_fails(busy_clinic, checkpoint_file, settings):
    audit_checkpoint.write()
    settings.NERVECARE_AUDIT_CHECKPOINT_KEY = "another-key-" * 4
    assert "signature does not match" in _failure()


def test_without_a_key_setting_the_key_derives_from_secret_key(busy_clinic, checkpoint_file, settings):
    settings.NERVECARE_AUDIT_CHECKPOINT_KEY = ""
    audit_checkpoint.write()
    assert "all match" in _verify()
    settings.SECRET_KEY = "a-different-secret-key-" * 3
    assert "signature does not match" in _failure()


def test_verify_against_a_copy_kept_elsewhere(busy_clinic, therapist_user, checkpoint_file, tmp_path):
    audit_checkpoint.write()
    copy = tmp_path / "copy.jsonl"
    copy.write_text(checkpoint_file.read_text())
    checkpoint_file.unlink()  # the local file gone: the copy still shows the truncation
    _owner_delete_newest(therapist_user.clinic_id, keep=2)
    assert "no checkpoint file" in _verify()
    assert "the newest events were removed" in _failure(checkpoints=str(copy))


def test_the_job_writes_checkpoints_and_emails_the_clinic_admins(busy_clinic, checkpoint_file, settings):
    settings.NERVECARE_AUDIT_CHECKPOINT_EMAIL = True
    admin = UserFactory(clinic=busy_clinic.clinic, role="admin", email="owner@example.org")
    assert tasks.checkpoint_audit_trail.call_local() == 1
    assert checkpoint_file.exists()
    assert [m.to for m in mail.outbox] == [[admin.email]]
    assert checkpoint_file.read_text().strip() in mail.outbox[0].body


def test_switched_off_the_job_does_nothing_and_checkpoint_says_so(busy_clinic, settings):
    settings.NERVECARE_AUDIT_CHECKPOINT_FILE = ""
    assert tasks.checkpoint_audit_trail.call_local() == 0
    with pytest.raises(CommandError, match="switched off"):
        call_command("audit", "checkpoint", stdout=StringIO())
    assert "switched off" in _verify()
