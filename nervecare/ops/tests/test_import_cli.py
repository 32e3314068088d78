"""`nervecare import-clients`: the dry run by default, --commit imports, clear errors and a non-zero exit."""

import pytest
from django.core.management import CommandError, call_command

from nervecare.clients.models import Client
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(clinic):
    return UserFactory(username="owner", clinic=clinic, role="admin")


def test_dry_run_then_commit_then_again(tmp_path, admin, capsys):
    path = tmp_path / "clients.csv"
    path.write_text("first_name,last_name,date_of_birth\r\nAnn,Lee,02/03/1970\r\n")
    call_command("import-clients", str(path), "--user", "owner", "--date-format", "dmy")
    assert not Client.objects.exists()
    call_command("import-clients", str(path), "--user", "owner", "--date-format", "dmy", "--commit")
    assert Client.objects.get().date_of_birth.isoformat() == "1970-03-02"
    call_command("import-clients", str(path), "--user", "owner", "--date-format", "dmy", "--commit")
    assert Client.objects.count() == 1
    assert "1 imported before" in capsys.readouterr().out


def test_problems_are_printed_by_row_and_exit_non_zero(tmp_path, admin, capsys):
    path = tmp_path / "clients.csv"
    path.write_text("first_name,last_name,date_of_birth\r\nAnn,,1970-13-01\r\n")
    with pytest.raises(CommandError) as exc:
        call_command("import-clients", str(path), "--user", "owner", "--commit")
    assert exc.value.returncode == 1
    err = capsys.readouterr().err
    assert "row 2 [last_name] Last name: is empty" in err
    assert "row 2 [date_of_birth] Date of birth" in err
    assert not Client.objects.exists()


def test_bad_arguments(tmp_path, therapist_user):
    with pytest.raises(CommandError, match="not a clinic admin"):
        call_command("import-clients", str(tmp_path / "x.csv"), "--user", "alice")
