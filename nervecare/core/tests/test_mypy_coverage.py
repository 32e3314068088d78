"""Issue 15 point 2: mypy (with django-stubs) checks the API, not only services and selectors.

mypy itself runs in `./dev test`; this keeps its configuration honest: a new module defining ninja routes
must be added to `[tool.mypy] files`, and none of them may be excluded."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def _checked(path: str, config: dict) -> bool:
    covered = any(path == f or path.startswith(f.rstrip("/") + "/") for f in config["files"])
    excluded = any(re.search(pattern, path) for pattern in config.get("exclude", []))
    return covered and not excluded


def test_every_module_defining_api_routes_is_type_checked():
    config = _mypy_config()
    route_modules = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "nervecare").rglob("*.py")
        if "/tests/" not in str(p) and re.search(r"\b(Router|NinjaAPI)\(", p.read_text())
    )
    assert "nervecare/api.py" in route_modules  # the scan finds the API
    unchecked = [m for m in route_modules if not _checked(m, config)]
    assert not unchecked, f"add these API modules to [tool.mypy] files: {unchecked}"
