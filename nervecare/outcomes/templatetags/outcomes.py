"""Numbers as people read them on the outcome pages."""

from typing import Any

from django import template

from nervecare.outcomes.analysis import fmt

register = template.Library()


@register.filter
def num(value: float | None, digits: int = 1) -> str:
    """2.3; "–" when missing."""
    return fmt(value, int(digits))


@register.filter
def pct(value: float | None) -> str:
    """A proportion (0-1) as a whole percentage."""
    return "–" if value is None else f"{value * 100:.0f}%"


@register.filter
def ci(est: Any, digits: int = 1) -> str:
    """An estimate's interval ("0.4 to 1.9"), or why it has none."""
    if est is None or getattr(est, "value", None) is None:
        return "–"
    if est.has_ci:
        return f"{fmt(est.low, int(digits))} to {fmt(est.high, int(digits))}"
    return est.note or "–"


@register.filter
def ci_pct(est: Any) -> str:
    """A proportion's interval as percentages."""
    if est is None or getattr(est, "value", None) is None:
        return "–"
    if est.has_ci:
        return f"{est.low * 100:.0f}% to {est.high * 100:.0f}%"
    return est.note or "–"


@register.filter
def get(mapping: dict, key: str) -> Any:
    return mapping.get(key) if mapping else None
