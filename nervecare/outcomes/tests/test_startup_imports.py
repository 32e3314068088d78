"""A worker that never draws a chart or computes a proportion does not carry matplotlib or statsmodels (with
pandas and scipy.stats): they are imported on first use (issue 20; the worker's memory is measured in
bench/ops_bench.py). Every view and API route is imported at start-up, as gunicorn's workers do."""

import os
import subprocess
import sys

PROBE = """
import json, sys, django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
heavy = ["matplotlib", "statsmodels", "pandas", "scipy.stats"]
print(json.dumps([m for m in heavy if m in sys.modules]))
"""


def test_start_up_imports_no_charting_or_statsmodels():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nervecare.settings_test"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
