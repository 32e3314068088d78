"""Settings for the test suite: the real settings, with a fast password hasher and no secret needed."""

import os

os.environ.setdefault("NERVECARE_TESTING", "1")

from nervecare.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; never used outside tests
