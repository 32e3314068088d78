"""`nervecare clinic create`: a clinic and its first admin (never a superuser); clear errors, exit 1, nothing made."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from nervecare.core.models import Clinic, User

pytestmark = pytest.mark.django_db


def test_creates_a_clinic_and_its_first_admin_with_a_one_time_link(
    capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "clinic",
            "create",
            "--name",
            "Harbour Massage",
            "--timezone",
            "Europe/Dublin",
            "--country",
            "IE",
            "--currency",
            "EUR",
            "--admin-username",
            "hanna",
            "--admin-email",
            "hanna@example.org",
        )
    out = capsys.readouterr().out
    clinic = Clinic.objects.get(slug="harbour-massage")
    admin = User.objects.get(username="hanna")
    assert (clinic.timezone, clinic.country, clinic.currency) == ("Europe/Dublin", "IE", "EUR")
    assert (admin.clinic_id, admin.role, admin.is_superuser, admin.is_staff) == (
        clinic.id,
        "admin",
        False,
        False,
    )
    assert not admin.has_usable_password()
    assert "/invite/" in out and len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--timezone", "Nowhere/Land"], "--timezone"),
        (["--currency", "DOLLARS"], "--currency"),
        (["--country", "XX"], "--country"),
        (["--admin-email", "nope"], "--admin-email"),
    ],
)
def test_bad_options_are_named_and_nothing_is_created(args, words):
    base = {"--name": "Bad", "--admin-username": "bella", "--admin-email": "bella@example.org"}
    argv = ["clinic", "create"]
    for k, v in {**base, **dict(zip(args[::2], args[1::2], strict=True))}.items():
        argv += [k, v]
    with pytest.raises(CommandError) as exc:
        call_command(*argv)
    assert words in str(exc.value) and "Nothing was created" in str(exc.value)
    assert (
        not Clinic.objects.filter(name="Bad").exists() and not User.objects.filter(username="bella").exists()
    )


def test_a_taken_username_or_slug_is_refused(clinic):
    User.objects.create(username="taken")
    with pytest.raises(CommandError, match="--admin-username"):
        call_command(
            "clinic", "create", "--name", "X", "--admin-username", "taken", "--admin-email", "t@example.org"
        )
    with pytest.raises(CommandError, match="--slug"):
        call_command(
            "clinic",
            "create",
            "--name",
            "Y",
            "--slug",
            "riverside",
            "--admin-username",
            "yan",
            "--admin-email",
            "y@example.org",
        )


def test_the_cli_exits_non_zero_with_the_message(capsys, monkeypatch):
    """As a person runs it: exit status 1 and the option named on stderr."""
    from django.core.management import ManagementUtility
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test's transaction open

    argv = ["nervecare", "clinic", "create", "--name", "Z", "--currency", "ZZZ"]
    argv += ["--admin-username", "zed", "--admin-email", "z@example.org"]
    with pytest.raises(SystemExit) as exc:
        ManagementUtility(argv).execute()
    assert exc.value.code == 1
    assert "--currency" in capsys.readouterr().err
    assert not Clinic.objects.filter(name="Z").exists()
