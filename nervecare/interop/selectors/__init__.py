"""Reads for the FHIR API and the bulk export: which rows each resource type is made from, who may see
them, how search parameters filter them, and keyset paging over them (never OFFSET).

A resource type is made from one or more sources (Observation: screening totals, session-note ratings and
intake ratings), one module per resource here; base.py holds the scope and the Source they share, and
registry.py the resource types and the read and search over them. A source is a queryset scoped to the
caller's clinic (and, for session notes, to the notes the caller may open) plus the mapping that turns one
row into its resources. Rows are always read in primary-key order, a chunk at a time, so memory stays flat
however large the clinic.

The app's read interface (the FHIR views, the bulk export and the capability statement use it) is
re-exported here.
"""

from nervecare.interop.selectors.base import Criteria, Param, Scope, Source, scope_for
from nervecare.interop.selectors.registry import (
    PATIENT_EXPORT_TYPES,
    RESOURCE_TYPES,
    Found,
    ResourceType,
    resource_read,
    resource_search,
    resource_type,
    search_criteria,
    split_param,
)

__all__ = [
    "PATIENT_EXPORT_TYPES",
    "RESOURCE_TYPES",
    "Criteria",
    "Found",
    "Param",
    "ResourceType",
    "Scope",
    "Source",
    "resource_read",
    "resource_search",
    "resource_type",
    "scope_for",
    "search_criteria",
    "split_param",
]
