"""Imports from another system's CSV (issue 16 §5): the dry run's errors by row and column, the all-or-nothing
import, re-running it adds nothing, bookings never overlap, and a clinic's import never touches another's."""

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from nervecare.clients.models import Client, ClientAccessGrant
from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.core.tests.factories import UserFactory
from nervecare.ops.importing import presets, services
from nervecare.ops.models import ImportRun, PastVisit
from nervecare.scheduling.models import Appointment, Reminder
from nervecare.scheduling.tests.factories import AppointmentFactory, RoomFactory, ServiceFactory

pytestmark = pytest.mark.django_db

CLIENTS = (
    "external_id,first_name,last_name,date_of_birth,email,phone,address,city,postcode\r\n"
    "c-1,Harriet,Vane,1958-03-04,harriet@example.org,+44 20 7946 0001,1 Mecklenburgh Sq,London,WC1N 2AD\r\n"
    "c-2,Peter,Wimsey,1950-11-15,peter@example.org,,,,\r\n"
)


@pytest.fixture
def admin(clinic):
    return UserFactory(username="owner", clinic=clinic, role="admin")


def _run(admin, text, kind="clients", preset="generic", filename="clients.csv"):
    run = services.import_upload(actor=admin, kind=kind, filename=filename, data=text.encode(), preset=preset)
    return services.import_dry_run(actor=admin, run=run)


def test_clients_import_then_again_adds_nothing(admin):
    run = _run(admin, CLIENTS)
    assert run.status == ImportRun.Status.CHECKED
    assert run.report["error_count"] == 0 and run.report["to_create"] == 2
    assert not Client.objects.filter(last_name="Vane").exists()  # a dry run writes nothing
    run = services.import_commit(actor=admin, run=run)
    assert run.status == ImportRun.Status.DONE
    vane = Client.objects.get(last_name="Vane")
    assert vane.clinic_id == admin.clinic_id and vane.email == "harriet@example.org"
    assert vane.address == "1 Mecklenburgh Sq\nLondon\nWC1N 2AD"
    assert AuditEvent.objects.filter(
        object_type="clients.client", summary__startswith="Clients imported (2)"
    ).exists()

    again = _run(admin, CLIENTS)
    assert again.report["to_create"] == 0 and again.report["already_imported"] == 2
    services.import_commit(actor=admin, run=again)
    assert Client.objects.filter(clinic=admin.clinic).count() == 2


def test_dry_run_lists_every_rows_errors_by_column_in_the_users_words(admin):
    text = (
        "Patient ID,First Name,Last Name,Date of Birth,Email\r\n"
        "1,Ann,,31/02/1970,ann@example.org\r\n"
        "2,Bo,Lind,2999-01-01,not-an-email\r\n"
        "3,Cy,Moss,1970-01-02,\r\n"
        "3,Cy,Moss,1970-01-02,\r\n"
    )
    run = _run(admin, text, preset="cliniko")
    errors = {(e["row"], e["column"], e["field"]): e["message"] for e in run.report["errors"]}
    assert errors[(2, "Last Name", "Last name")] == "is empty"
    assert "not a date" in errors[(2, "Date of Birth", "Date of birth")]
    assert errors[(3, "Date of Birth", "Date of birth")] == "is in the future"
    assert "not an email address" in errors[(3, "Email", "Email")]
    assert errors[(5, "Patient ID", "Client id in the other system")] == "the same client as row 4"
    with pytest.raises(FieldErrors) as refused:
        services.import_commit(actor=admin, run=run)
    assert "5 problems" in refused.value.errors["file"]
    assert not Client.objects.filter(last_name="Moss").exists()  # all or nothing


def test_mapping_errors_name_the_field(admin):
    run = services.import_upload(
        actor=admin, kind="clients", filename="x.csv", data=b"Name,Born\r\nA B,1970-01-01\r\n"
    )
    with pytest.raises(FieldErrors) as exc:
        services.import_set_mapping(actor=admin, run=run, mapping={"first_name": "Nope"}, date_format="iso")
    assert exc.value.errors["mapping.first_name"] == "the file has no column called “Nope”"
    assert "Last name: choose the column" in exc.value.errors["mapping.last_name"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01PK", "not a CSV"),
        (b"a,b\r\n", "no records"),
        (b"a,a\r\n1,2\r\n", "same name"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file(admin, data, message):
    with pytest.raises(FieldErrors) as exc:
        services.import_upload(actor=admin, kind="clients", filename="x.csv", data=data)
    assert message in exc.value.errors["file"]
    assert not ImportRun.objects.exists()


def test_only_admins_import_and_only_their_clinics_runs(admin, therapist_user, front_desk_user, other_clinic):
    for user in (therapist_user, front_desk_user):
        with pytest.raises(Exception):  # noqa: B017 - PermissionDenied or Http404, both refuse
            services.import_upload(actor=user, kind="clients", filename="x.csv", data=CLIENTS.encode())
    run = _run(admin, CLIENTS)
    other_admin = UserFactory(username="oscar", clinic=other_clinic, role="admin")
    with pytest.raises(Http404):
        services.import_run_get_for_admin(other_admin, run.pk)


def test_an_import_never_matches_another_clinics_or_a_deleted_client(admin, clinic, other_clinic):
    # Same name and birth date in the other clinic: a new client here, the other clinic's row untouched.
    twin = ClientFactory(
        clinic=other_clinic, first_name="Harriet", last_name="Vane", date_of_birth=dt.date(1958, 3, 4)
    )
    run = services.import_commit(actor=admin, run=_run(admin, CLIENTS))
    assert run.report["created"]["clients_created"] == 2
    twin.refresh_from_db()
    assert twin.clinic_id == other_clinic.pk and twin.email != "harriet@example.org"
    # A client imported, then deleted: the next run neither re-creates nor matches them.
    vane = Client.objects.get(clinic=clinic, last_name="Vane")
    vane.deleted_at = timezone.now()
    vane.save()
    again = _run(admin, CLIENTS)
    assert again.report["error_count"] == 1
    assert "no longer in your client list" in again.report["errors"][0]["message"]


def test_an_existing_client_is_matched_not_duplicated_nor_changed(admin, clinic):
    existing = ClientFactory(
        clinic=clinic,
        first_name="Peter",
        last_name="Wimsey",
        date_of_birth=dt.date(1950, 11, 15),
        email="old@example.org",
    )
    run = services.import_commit(actor=admin, run=_run(admin, CLIENTS))
    assert run.report["created"] == {"clients_created": 1, "clients_matched": 1}
    existing.refresh_from_db()
    assert existing.email == "old@example.org"


@pytest.fixture
def booked_world(admin, clinic, therapist_user):
    service = ServiceFactory(
        clinic=clinic, name="60-min Swedish", code="swedish-60", minutes=60, buffer_minutes=15
    )
    RoomFactory(clinic=clinic, name="Room 1")
    services.import_commit(actor=admin, run=_run(admin, CLIENTS))
    return {"service": service, "therapist": therapist_user.therapist}


def _appointments(rows):
    return "external_id,client_external_id,date,time,therapist,service,room,status\r\n" + "".join(
        ",".join(r) + "\r\n" for r in rows
    )


def test_appointments_book_the_future_and_keep_the_past(admin, booked_world):
    future = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    text = _appointments(
        [
            ["a-1", "c-1", future, "10:00", "Alice", "60-min Swedish", "Room 1", "Booked"],
            ["a-2", "c-1", "2024-05-06", "09:00", "Sam Old", "Hot stones", "", "Arrived"],
            ["a-3", "c-2", future, "12:00", "alice", "swedish-60", "", "Cancelled"],
        ]
    )
    run = _run(admin, text, kind="appointments", filename="appointments.csv")
    assert run.report["error_count"] == 0, run.report["errors"]
    run = services.import_commit(actor=admin, run=run)
    assert run.report["created"]["appointments_created"] == 1
    appointment = Appointment.objects.get(client__last_name="Vane")
    assert appointment.therapist == booked_world["therapist"] and appointment.room.name == "Room 1"
    assert appointment.blocked_until - appointment.starts_at == dt.timedelta(minutes=75)
    assert Reminder.objects.filter(appointment=appointment, kind="reminder").exists()
    visit = PastVisit.objects.get()
    assert visit.visited_on == dt.date(2024, 5, 6) and visit.therapist_name == "Sam Old"
    assert run.report["skipped"] == [{"row": 4, "reason": "cancelled in the other system"}]
    # The admin's booking lets Alice see the client's record (the scheduling rule), audited.
    assert ClientAccessGrant.objects.filter(
        user=booked_world["therapist"].user, client=appointment.client
    ).exists()
    again = services.import_commit(actor=admin, run=_run(admin, text, kind="appointments"))
    assert again.report["already_imported"] == 2
    assert Appointment.objects.count() == 1 and PastVisit.objects.count() == 1


def test_conflicting_bookings_are_listed_and_nothing_is_booked(admin, booked_world, clinic):
    day = timezone.localdate() + dt.timedelta(days=12)
    start = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)
    AppointmentFactory(
        client=ClientFactory(clinic=clinic),
        therapist=booked_world["therapist"],
        service=booked_world["service"],
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        blocked_until=start + dt.timedelta(minutes=75),
    )
    clinic.timezone = "UTC"
    clinic.save()
    text = _appointments(
        [
            [
                "a-1",
                "c-1",
                day.isoformat(),
                "10:30",
                "Alice",
                "60-min Swedish",
                "",
                "",
            ],  # the therapist is busy
            [
                "a-2",
                "c-2",
                (day + dt.timedelta(days=1)).isoformat(),
                "09:00",
                "Alice",
                "60-min Swedish",
                "",
                "",
            ],
            [
                "a-3",
                "c-1",
                (day + dt.timedelta(days=1)).isoformat(),
                "10:00",
                "Alice",
                "60-min Swedish",
                "",
                "",
            ],  # buffer
        ]
    )
    run = _run(admin, text, kind="appointments")
    by_row = {c["row"]: c["message"] for c in run.report["conflicts"]}
    assert "already booked in NerveCare" in by_row[2]
    assert by_row[4] == "the therapist is already taken at that time by row 3"
    assert 3 not in by_row
    with pytest.raises(FieldErrors):
        services.import_commit(actor=admin, run=run)
    assert Appointment.objects.count() == 1


def test_a_booking_for_a_client_with_an_open_stop_is_listed_not_booked(admin, booked_world):
    """The scheduling rule on imported bookings: an open safety stop blocks the client's sessions, so each
    future row for them is a problem of its own row (past visits are history and still import)."""
    from nervecare.screening.models import SafetyFlag

    harriet = Client.objects.get(last_name="Vane")
    SafetyFlag.objects.create(
        client=harriet,
        rule_id="dvt_recent",
        rules_version="1",
        title="Recent deep-vein thrombosis",
        level="stop",
        area="legs",
        reason="DVT in the last 6 months",
        source="test",
        raised_at=timezone.now(),
        last_checked_at=timezone.now(),
    )
    future = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    text = _appointments(
        [
            ["a-1", "c-1", future, "10:00", "Alice", "60-min Swedish", "", "Booked"],
            ["a-2", "c-1", "2024-05-06", "09:00", "Sam Old", "Hot stones", "", "Arrived"],
            ["a-3", "c-2", future, "12:00", "Alice", "60-min Swedish", "", "Booked"],
        ]
    )
    run = _run(admin, text, kind="appointments")
    by_row = {c["row"]: c["message"] for c in run.report["conflicts"]}
    assert list(by_row) == [2]
    assert "open safety stop (Recent deep-vein thrombosis)" in by_row[2]
    assert any(e["row"] == 2 and "safety stop" in e["message"] for e in run.report["errors"])
    with pytest.raises(FieldErrors):
        services.import_commit(actor=admin, run=run)
    assert not Appointment.objects.exists() and not PastVisit.objects.exists()  # all or nothing


def test_a_booking_made_after_the_dry_run_fails_the_whole_import(admin, booked_world, clinic):
    clinic.timezone = "UTC"
    clinic.save()
    day = timezone.localdate() + dt.timedelta(days=20)
    text = _appointments(
        [
            ["a-1", "c-1", day.isoformat(), "10:00", "Alice", "60-min Swedish", "", ""],
            ["a-2", "c-2", day.isoformat(), "14:00", "Alice", "60-min Swedish", "", ""],
        ]
    )
    run = _run(admin, text, kind="appointments")
    assert run.report["error_count"] == 0
    start = dt.datetime.combine(day, dt.time(14, 30), tzinfo=dt.UTC)
    AppointmentFactory(
        client=ClientFactory(clinic=clinic),
        therapist=booked_world["therapist"],
        service=booked_world["service"],
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        blocked_until=start + dt.timedelta(hours=1),
    )
    run = services.import_commit(actor=admin, run=run)
    assert run.status == ImportRun.Status.FAILED
    assert run.report["conflicts"][0]["row"] == 3
    assert Appointment.objects.count() == 1


def test_a_large_file_runs_as_a_job_with_progress(admin, monkeypatch):
    monkeypatch.setattr(services, "INLINE_ROWS", 1)
    run = _run(admin, CLIENTS)  # the queue runs immediately in tests
    assert run.status == ImportRun.Status.CHECKED and run.processed_rows == 2
    run = services.import_commit(actor=admin, run=run)
    assert run.status == ImportRun.Status.DONE and run.processed_rows == run.total_rows == 2


def test_every_shipped_preset_names_its_source_and_known_fields():
    for kind, shipped in presets.shipped().items():
        assert "generic" in shipped
        for code, preset in shipped.items():
            assert preset["source"], (kind, code)
            assert isinstance(preset["verified"], bool)
    assert presets.suggest("clients", ["First Name", "Last Name", "Date of Birth", "ID"], "cliniko") == {
        "external_id": "ID",
        "first_name": "First Name",
        "last_name": "Last Name",
        "date_of_birth": "Date of Birth",
    }


def test_saved_preset_is_offered_to_the_clinic_only(admin, other_clinic):
    run = services.import_upload(
        actor=admin, kind="clients", filename="x.csv", data=b"Fn,Ln,Born\r\nA,B,02/03/1970\r\n"
    )
    services.import_set_mapping(
        actor=admin,
        run=run,
        mapping={"first_name": "Fn", "last_name": "Ln", "date_of_birth": "Born"},
        date_format="dmy",
        save_as="Old system",
    )
    codes = [p["label"] for p in services.presets_for(admin, "clients")]
    assert "Old system" in codes
    other_admin = UserFactory(username="oscar", clinic=other_clinic, role="admin")
    assert "Old system" not in [p["label"] for p in services.presets_for(other_admin, "clients")]
    saved = next(p for p in services.presets_for(admin, "clients") if p["saved"])
    run2 = services.import_upload(
        actor=admin,
        kind="clients",
        filename="y.csv",
        data=b"Fn,Ln,Born\r\nC,D,04/05/1971\r\n",
        preset=saved["code"],
    )
    assert (
        run2.mapping == {"first_name": "Fn", "last_name": "Ln", "date_of_birth": "Born"}
        and run2.date_format == "dmy"
    )
    run2 = services.import_commit(actor=admin, run=services.import_dry_run(actor=admin, run=run2))
    assert Client.objects.get(last_name="D").date_of_birth == dt.date(1971, 5, 4)


def test_the_clinic_export_holds_every_table_as_csv_and_json_and_nothing_of_another_clinic(
    admin, clinic, other_clinic
):
    import io
    import json
    import zipfile

    from nervecare.core.tests.factories import UserFactory as U
    from nervecare.ops.clinic_export import clinic_export_build

    services.import_commit(actor=admin, run=_run(admin, CLIENTS))
    ClientFactory(clinic=other_clinic, first_name="Otto", last_name="Elsewhere")
    U(username="olaf", clinic=other_clinic, role="admin")
    spool, name, counts = clinic_export_build(actor=admin)
    with zipfile.ZipFile(io.BytesIO(spool.read())) as zf:
        names = set(zf.namelist())
        clients = json.loads(zf.read("json/clients.client.json"))
        csv_text = zf.read("csv/clients.client.csv").decode()
        users = json.loads(zf.read("json/core.user.json"))
        manifest = json.loads(zf.read("manifest.json"))
    assert {"manifest.json", "csv/scheduling.appointment.csv", "json/ops.pastvisit.json"} <= names
    assert {c["last_name"] for c in clients} == {"Vane", "Wimsey"} and "Elsewhere" not in csv_text
    assert all("password" not in u for u in users) and {u["username"] for u in users} == {"owner"}
    assert "core.apitoken" not in counts and manifest["tables"]["clients.client"] == 2
    assert name.startswith("nervecare-riverside-")
    assert AuditEvent.objects.filter(summary__startswith="Clinic-wide export").exists()


def test_the_clinic_export_csv_keeps_formula_like_text_as_text_and_the_json_exact(admin, clinic):
    """A name typed as a formula (the public booking page, an import) is never run by the spreadsheet that
    opens the CSV; numbers, negative ones included, stay numbers; the JSON copy holds the value as stored."""
    import csv
    import io
    import json
    import zipfile

    from nervecare.ops.clinic_export import clinic_export_build

    ClientFactory(clinic=clinic, first_name='=HYPERLINK("http://evil.example","x")', last_name="-Minus")
    spool, _name, _counts = clinic_export_build(actor=admin)
    with zipfile.ZipFile(io.BytesIO(spool.read())) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("csv/clients.client.csv").decode())))
        stored = json.loads(zf.read("json/clients.client.json"))
    (row,) = rows
    assert row["first_name"] == '\'=HYPERLINK("http://evil.example","x")' and row["last_name"] == "'-Minus"
    assert row["id"].lstrip("-").isdigit()  # numbers untouched
    assert stored[0]["first_name"] == '=HYPERLINK("http://evil.example","x")'


def test_a_job_that_dies_says_so_and_writes_nothing(admin, monkeypatch):
    from nervecare.ops.importing import steps

    monkeypatch.setattr(services, "INLINE_ROWS", 1)
    run = _run(admin, CLIENTS)

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(steps, "apply_clients", boom)
    services.import_commit(actor=admin, run=run)  # the queue logs the job's exception
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "unexpected error" in run.report["detail"]
    assert not Client.objects.exists()
