"""The framework floor for bench/ops_bench.py: NerveCare's settings (database, middleware) with a URL map of one
bare JSON view reading one row."""

from nervecare.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
# Bare Django: none of NerveCare's middleware (sessions, authentication, audit context, CSP...).
MIDDLEWARE: list[str] = []
