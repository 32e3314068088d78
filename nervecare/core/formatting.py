"""Formatting helpers every page may use (domain-free)."""

from decimal import Decimal


def score(value: Decimal | float | int | None) -> str:
    """A score as people write it: 10, 2.5 (never 1E+1 or 10.0)."""
    if value is None:
        return "–"
    d = Decimal(str(value))
    return str(int(d)) if d == d.to_integral_value() else f"{d.normalize():f}"


# A cell starting with one of these runs as a formula when the CSV is opened in a spreadsheet (CSV injection,
# OWASP): = + - @, and tab / carriage return, which some spreadsheets skip before reading the formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Free text for a CSV cell that people open in a spreadsheet: a leading apostrophe keeps a name such as
    `=HYPERLINK(...)` as text (the spreadsheet shows the text, the apostrophe is not shown)."""
    return "'" + text if text[:1] in FORMULA_STARTS else text
