"""Hooks the outcome reports call, filled at start-up by the apps above outcomes (outcomes may not import them).

Client report sections: a client's progress report (reports/client.py, the PDF for the client and for the
referring clinician) ends with the sections other apps add about the same client, e.g. the result of a
single-client trial (trials, issue 21). A section is `section(result, *, plain) -> list of reportlab
flowables` (empty when it has nothing to say); `result` is outcomes.analysis.client_outcomes' dict (its
`client.id` names the client, whose record the caller was already allowed to see); `plain` is the client's copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ReportSection = Callable[..., list[Any]]

_client_report_sections: list[ReportSection] = []


def add_client_report_section(section: ReportSection) -> ReportSection:
    """Register a section for the client's progress report (idempotent: once per function)."""
    if section not in _client_report_sections:
        _client_report_sections.append(section)
    return section


def client_report_sections(result: dict[str, Any], *, plain: bool) -> list[Any]:
    story: list[Any] = []
    for section in _client_report_sections:
        story += section(result, plain=plain)
    return story
