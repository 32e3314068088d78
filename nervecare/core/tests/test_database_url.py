"""DATABASE_URL: unset or empty means the local SQLite file (an empty one, as `DATABASE_URL= ./dev ...` leaves
it, used to stop the settings with an unknown-scheme error). Run in a fresh process: settings are read once."""

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_or_empty_database_url_is_the_local_sqlite_file(tmp_path, value):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        {"DEBUG": "1", "NERVECARE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "nervecare.settings"}
    )
    if value is not None:
        env["DATABASE_URL"] = value
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", str(tmp_path / "nervecare.sqlite3")]
