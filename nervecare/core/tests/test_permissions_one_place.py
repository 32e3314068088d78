"""Issue 15 point 4: one place decides who may see what. Every role check (`require_*`) is defined in
core/permissions.py; the object-level rules (which rows) are the selectors its docstring lists."""

import ast
import re
from pathlib import Path

import nervecare
from nervecare.core import permissions

ROOT = Path(nervecare.__file__).parent
HOME = Path(permissions.__file__)


def _require_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("require_")
    ]


def test_no_role_check_is_defined_outside_core_permissions():
    elsewhere = [
        found for path in sorted(ROOT.rglob("*.py")) if path != HOME for found in _require_functions(path)
    ]
    assert elsewhere == [], "role checks belong in nervecare/core/permissions.py"


def test_core_permissions_holds_the_role_checks():
    names = {found.rsplit(" ", 1)[1] for found in _require_functions(HOME)}
    assert {
        "require_clinical",
        "require_scheduling",
        "require_admin",
        "require_audit_admin",
        "require_portal_user",
        "require_clinical_or_own_record",
        "require_scheduling_or_own_record",
    } <= names


def test_the_docstring_indexes_every_object_level_rule():
    """A reader finds every rule from core/permissions.py: each `*_visible_to`, `*_get_for_user` and
    `*_bookable_by` selector in the apps is named in its docstring."""
    rule = re.compile(
        r"^def (\w+(?:_visible_to|_get_for_user|_get_for_admin|_bookable_by|_for_portal_user))\(", re.M
    )
    doc = permissions.__doc__ or ""
    missing = [
        f"{path.relative_to(ROOT.parent)} {name}"
        for path in sorted(ROOT.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        for name in rule.findall(path.read_text(encoding="utf-8"))
        if f"`{name}`" not in doc
    ]
    assert missing == []
