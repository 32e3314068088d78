"""Shared fixtures: the people of every permission test and a ready clinic."""

import os

os.environ.setdefault("NERVECARE_TESTING", "1")
