"""A module imported on first use (issue 20: a web worker that never computes a statistic does not carry NumPy
and SciPy, about 50 MiB). `np = lazy_module("numpy")` at a module's top, then `np.mean(...)` in its functions
as usual; the import happens at the first attribute read. For mypy, import the real module under
TYPE_CHECKING beside it. nervecare/core/tests/test_startup_imports.py keeps the heavy libraries out of
start-up."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for a module until an attribute is read, then imports it once and forwards to it."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r}, {state}>"


def lazy_module(name: str) -> Any:
    return LazyModule(name)
