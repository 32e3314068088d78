"""Hooks the plan page calls, filled at start-up by the apps above plans (plans may not import them).

Plan page sections: the plan page shows how far the course has come (sessions done, booked, to book), which
scheduling knows; scheduling registers the function that adds it (SchedulingConfig.ready).
"""

from typing import Any, Protocol

from nervecare.plans.models import CarePlan


class PlanSection(Protocol):
    def __call__(self, plan: CarePlan) -> dict[str, Any]: ...


_plan_sections: list[PlanSection] = []


def add_plan_section(section: PlanSection) -> PlanSection:
    """Register a function adding keys to the plan page's context (idempotent: once per function)."""
    if section not in _plan_sections:
        _plan_sections.append(section)
    return section


def plan_sections(plan: CarePlan) -> dict[str, Any]:
    """The keys the registered sections add to the plan page (none registered: none added)."""
    out: dict[str, Any] = {}
    for section in _plan_sections:
        out.update(section(plan))
    return out
