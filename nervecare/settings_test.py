"""Settings for the test suite: the real settings, with a fast password hasher and no secret needed."""

import os

os.environ.setdefault("NERVECARE_TESTING", "1")

from nervecare.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; never used outside tests

# A second, empty database of the same kind for the backup/restore round trip (nervecare/core/tests/
# test_backup.py). pytest-django creates it only when a collected test asks for it (databases=[...]).
DATABASES["restore_target"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "NAME": f"{DATABASES['default']['NAME']}_restore",  # noqa: F405
    "TEST": {"NAME": None},
}

# Deferred audit sealing (PostgreSQL) after requests happens at most once a second per process: that would
# make a test's statements depend on the clock. Tests seal explicitly (audit.seal, audit.verify), and
# core/tests/test_audit_seal.py sets an interval to test sealing after a request.
NERVECARE_AUDIT_SEAL_INTERVAL = 0

# Audit checkpoints are written only where a test asks for them (a temporary file): never into ./var.
NERVECARE_AUDIT_CHECKPOINT_FILE = ""
