"""Formatting helpers every page may use (domain-free)."""

from decimal import Decimal


def score(value: Decimal | float | int | None) -> str:
    """A score as people write it: 10, 2.5 (never 1E+1 or 10.0)."""
    if value is None:
        return "–"
    d = Decimal(str(value))
    return str(int(d)) if d == d.to_integral_value() else f"{d.normalize():f}"
