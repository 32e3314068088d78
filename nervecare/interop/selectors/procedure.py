"""Procedure: the massage of each signed session note."""

from __future__ import annotations

from typing import Any

from nervecare.interop import mapping
from nervecare.interop.mapping import Resource
from nervecare.interop.selectors.base import Scope
from nervecare.interop.selectors.notes import NoteRows


class ProcedureSource(NoteRows):
    """The massage of each signed session note the caller may open."""

    def to_fhir(self, obj: Any, scope: Scope) -> list[Resource]:
        return [mapping.procedure(obj, obj.values)]
