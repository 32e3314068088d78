"""What a web worker carries from start-up (issue 20: worker memory, aim <= 120 MiB resident; measured in
bench/ops_bench.py). The heavy libraries are imported where they are used, on first use: NumPy and SciPy
(statistics: core/lazy.py), reportlab and Pillow (PDFs: imported by the functions that make one), matplotlib
and statsmodels (charts, the mixed model), DuckDB and pandas (the cohort engine), icalendar (the calendar
feed), holidays and pycountry (the set-up pages), qrcode (the second sign-in step's set-up); and no test tool.
Every view and API route is imported here, and the WSGI application built, as gunicorn's workers do. The
API's schemas are built on first use (pydantic's defer_build, set in core/apps.py), not at start-up."""

import json
import os
import subprocess
import sys

import pytest

HEAVY = [
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "matplotlib",
    "duckdb",
    "reportlab",
    "PIL",
    "icalendar",
    "holidays",
    "pycountry",
    "qrcode",
    "hypothesis",
    "faker",
    "factory",
    "pytest",
    "playwright",
    "locust",
]

PROBE = f"""
import json, sys, django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
from django.core.wsgi import get_wsgi_application
get_wsgi_application()
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""


def test_a_web_worker_starts_without_the_heavy_libraries():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nervecare.settings_test"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_lazy_module_imports_on_first_use_and_forwards():
    probe = (
        "import sys; from nervecare.core.lazy import lazy_module; m = lazy_module('fractions');"
        "sys.modules.pop('fractions', None); before = 'fractions' in sys.modules;"
        "f = m.Fraction(1, 3); print(before, 'fractions' in sys.modules, f + f)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["False", "True", "2/3"], result.stderr


SCHEMAS_PROBE = """
import json, django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
import ninja

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

ours = {c for c in subclasses(ninja.Schema) if c.__module__.startswith("nervecare.")}
print(json.dumps({
    "count": len(ours),
    "not_deferred": sorted(c.__qualname__ for c in ours if not c.model_config.get("defer_build")),
    "built": sorted(c.__qualname__ for c in ours if c.__pydantic_complete__),
}))
"""


def test_the_api_schemas_are_built_on_first_use_not_at_start_up():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nervecare.settings_test"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCHEMAS_PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["count"] > 100  # every route's schemas were imported
    assert found["not_deferred"] == []
    # A few may be built at start-up by a schema or route that needs them whole; most must wait.
    assert len(found["built"]) <= 5, found["built"]


def test_a_deferred_schema_validates_and_answers_as_before():
    from ninja import Schema
    from pydantic import ValidationError

    class Probe(Schema):
        name: str
        count: int = 0

    assert Probe.model_config.get("defer_build") is True
    assert Probe.__pydantic_complete__ is False
    assert Probe.model_validate({"name": "a", "count": "3"}).model_dump() == {"name": "a", "count": 3}
    assert Probe.__pydantic_complete__ is True
    with pytest.raises(ValidationError) as caught:
        Probe.model_validate({"count": "x"})
    assert {e["loc"][0] for e in caught.value.errors()} == {"name", "count"}
