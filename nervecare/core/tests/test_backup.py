"""`nervecare backup` / `nervecare restore`: a full clinic round-trips into a second, empty database with every
table equal row by row; damaged files, non-empty databases and other schemas are refused with a clear error.

The second database ("restore_target", nervecare/settings_test.py) is of the same kind as the suite's: run the
suite with DATABASE_URL=postgres://... to check PostgreSQL."""

import datetime as dt
import gzip
import hashlib
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from nervecare.clients.models import Client
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.models import ApiToken, AuditEvent, Clinic, User
from nervecare.core.tests.factories import ClinicFactory

TARGET = "restore_target"
BOTH = ["default", TARGET]


def every_model():
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower != "sessions.session"
    ]


def table_rows(model, alias):
    names = [f.attname for f in model._meta.concrete_fields]
    rows = model._base_manager.using(alias).order_by("pk").values_list(*names)
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def add_the_rarer_rows():
    """Rows the demo does not make: M2M, binary, UUID keys, durations of history, amendments, the portal."""
    from nervecare.interop.models import ExportJob, PatientIdentifier
    from nervecare.outcomes.models import ReportJob
    from nervecare.portal.models import ClientAccount, DiaryEntry
    from nervecare.scheduling.models import AvailabilityException, CalendarToken
    from nervecare.visits.models import AdverseEvent, NoteAmendment, SessionNote

    clinic = Clinic.objects.get()
    owner = User.objects.get(username="owner")
    group = Group.objects.create(name="Reviewers")
    group.permissions.add(*Permission.objects.filter(codename__startswith="view_")[:3])
    owner.groups.add(group)
    owner.user_permissions.add(Permission.objects.get(codename="change_client"))
    ApiToken.objects.create(user=owner, name="backup test", token_hash="a" * 64, prefix="nc_aaaa")
    LogEntry.objects.create(
        user=owner,
        content_type=ContentType.objects.get_for_model(Client),
        object_id="1",
        object_repr="x",
        action_flag=1,
    )
    ReportJob.objects.create(clinic=clinic, requested_by=owner, pdf=b"%PDF-1.4\x00\xff binary", status="done")
    ExportJob.objects.create(
        clinic=clinic, requested_by=owner, level="system", request_url="/fhir/R4/$export"
    )
    therapist = owner.clinic.therapists.first()
    AvailabilityException.objects.create(
        therapist=therapist,
        kind="time_off",
        starts_at=timezone.now() + dt.timedelta(days=40),
        ends_at=timezone.now() + dt.timedelta(days=41),
    )
    CalendarToken.objects.create(therapist=therapist, token="b" * 64)
    client = Client.objects.order_by("id").first()
    PatientIdentifier.objects.create(clinic=clinic, client=client, system="urn:test", value="42")
    portal_user = User.objects.create(username="portal-client", role="client", clinic=clinic)
    ClientAccount.objects.create(user=portal_user, client=client)
    DiaryEntry.objects.create(client=client, day=dt.date(2026, 3, 1), pain=3, numbness=4, tingling=2, sleep=1)
    note = SessionNote.objects.order_by("id").first()
    NoteAmendment.objects.create(note=note, author=owner, reason="typo", changes={"plan": ["a", "b"]})
    AdverseEvent.objects.create(note=note, kind="soreness", severity="mild", description="Sore next day")
    deleted = ClientFactory(clinic=clinic, first_name="Deleted", deleted_at=timezone.now())
    assert not Client.objects.filter(pk=deleted.pk).exists()  # hidden by the default manager, still backed up
    clinic.fever_min_celsius = Decimal("37.9")
    clinic.save()


@pytest.mark.django_db(databases=BOTH)
def test_a_full_clinic_round_trips_into_an_empty_database_table_by_table(tmp_path):
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    add_the_rarer_rows()
    assert not Client.all_objects.using(TARGET).exists()
    path = tmp_path / "clinic.ncbak"

    call_command("backup", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    call_command("restore", str(path), database=TARGET, stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123

    compared = 0
    for model in every_model():
        source, restored = table_rows(model, "default"), table_rows(model, TARGET)
        assert restored == source, f"{model._meta.label} differs after restore"
        compared += len(source)
    assert compared > 2000
    # The tricky tables really were exercised (not empty on both sides).
    for label in [
        "core.auditevent",
        "clients.historicalclient",
        "clients.historicalmedicalcontext",
        "core.user_groups",
        "auth.group_permissions",
        "core.user_user_permissions",
        "outcomes.reportjob",
        "interop.exportjob",
        "visits.noteamendment",
        "portal.diaryentry",
        "contenttypes.contenttype",
        "admin.logentry",
    ]:
        model = {m._meta.label_lower: m for m in every_model()}[label]
        assert model._base_manager.using(TARGET).exists(), label
    # Deleted clients travel too, and stay deleted.
    assert Client.all_objects.using(TARGET).filter(first_name="Deleted", deleted_at__isnull=False).exists()
    # New rows get fresh ids after the restore (PostgreSQL sequences were moved past the restored ids).
    biggest = Client.all_objects.using(TARGET).order_by("-id").first().id
    clinic = Clinic.objects.using(TARGET).get()
    fresh = Client.objects.using(TARGET).create(
        clinic=clinic, first_name="New", last_name="After", date_of_birth=dt.date(1970, 1, 1)
    )
    assert fresh.id > biggest


def _rewrite(path, change):
    """Decompress, let `change` edit the lines, recompress (checksum left as it was)."""
    lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    lines = change(lines)
    path.write_bytes(gzip.compress(b"".join(lines)))


def _reseal(lines):
    """Recompute the manifest's checksum after an edit (a well-formed file with other content)."""
    manifest = json.loads(lines[-1])
    manifest["manifest"]["sha256"] = hashlib.sha256(b"".join(lines[:-1])).hexdigest()
    return [*lines[:-1], (json.dumps(manifest) + "\n").encode()]


@pytest.fixture
def small_backup(db, tmp_path):
    clinic = ClinicFactory(name="Small")
    ClientFactory.create_batch(3, clinic=clinic)
    AuditEvent.objects.create(action="view", object_type="clients.client", object_id="1", clinic=clinic)
    path = tmp_path / "small.ncbak"
    call_command("backup", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    return path


@pytest.mark.django_db(databases=BOTH)
def test_a_damaged_file_is_refused_and_nothing_is_restored(small_backup):
    _rewrite(small_backup, lambda lines: [ln.replace(b"Example", b"Exampel") for ln in lines])
    with pytest.raises(CommandError, match="SHA-256 does not match"):
        call_command("restore", str(small_backup), database=TARGET)
    assert not Client.all_objects.using(TARGET).exists()


@pytest.mark.django_db(databases=BOTH)
def test_a_truncated_file_is_refused(small_backup):
    _rewrite(small_backup, lambda lines: lines[:-2])
    with pytest.raises(CommandError, match="manifest at the end is missing"):
        call_command("restore", str(small_backup), database=TARGET)
    assert not Client.all_objects.using(TARGET).exists()


@pytest.mark.django_db(databases=BOTH)
def test_check_reports_an_intact_file(small_backup, capsys):
    call_command("restore", str(small_backup), check=True)
    assert "is intact" in capsys.readouterr().out


@pytest.mark.django_db(databases=BOTH)
def test_a_database_with_data_is_refused_unless_forced(small_backup):
    other = ClinicFactory.build(name="Already here", slug="already-here")
    other.save(using=TARGET)
    with pytest.raises(CommandError, match=r"not empty: core\.clinic \(1\).*--force"):
        call_command("restore", str(small_backup), database=TARGET)
    assert list(Clinic.objects.using(TARGET).values_list("name", flat=True)) == ["Already here"]

    call_command("restore", str(small_backup), database=TARGET, force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert list(Clinic.objects.using(TARGET).values_list("name", flat=True)) == ["Small"]
    assert Client.objects.using(TARGET).count() == 3
    assert AuditEvent.objects.using(TARGET).count() == 1

    # Now the target holds an audit trail: append-only, so even --force will not replace it.
    with pytest.raises(CommandError, match="already holds an audit trail, which is append-only"):
        call_command("restore", str(small_backup), database=TARGET, force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert Client.objects.using(TARGET).count() == 3
    assert AuditEvent.objects.using(TARGET).count() == 1


@pytest.mark.django_db(databases=BOTH)
def test_a_backup_of_another_schema_is_refused_with_the_migration_named(small_backup):
    def newer(lines):
        header = json.loads(lines[0])
        header["migrations"]["clients"].append("9999_from_the_future")
        return _reseal([(json.dumps(header) + "\n").encode(), *lines[1:]])

    _rewrite(small_backup, newer)
    with pytest.raises(CommandError, match="Missing migrations: clients.9999_from_the_future"):
        call_command("restore", str(small_backup), database=TARGET)


@pytest.mark.django_db(databases=BOTH)
def test_restore_only_inserts_so_an_append_only_audit_table_restores(small_backup):
    """The audit trail may be protected by triggers that refuse UPDATE and DELETE: restore must not need them."""
    connection = connections[TARGET]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER test_audit_no_{op.lower()} BEFORE {op} ON core_auditevent "
                    "BEGIN SELECT RAISE(ABORT, 'append-only'); END"
                )
        else:
            cursor.execute(
                "CREATE FUNCTION test_audit_append_only() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'append-only'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER test_audit_append_only BEFORE UPDATE OR DELETE ON core_auditevent "
                "FOR EACH ROW EXECUTE FUNCTION test_audit_append_only()"
            )
    call_command("restore", str(small_backup), database=TARGET, stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert AuditEvent.objects.using(TARGET).count() == 1


@pytest.mark.django_db
def test_backup_will_not_overwrite_a_file_by_accident(small_backup):
    with pytest.raises(CommandError, match="exists; choose another name or pass --overwrite"):
        call_command("backup", str(small_backup))
