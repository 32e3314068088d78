"""The column shapes every money record repeats: an amount (12 digits, 2 places; never a float) and the ISO 4217
currency beside it (the currency of the document it belongs to)."""

from typing import Any

from django.db import models


def amount_field(**kwargs: Any) -> models.DecimalField:
    """An amount of money in its record's currency (12 digits, 2 decimal places)."""
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


def currency_field(**kwargs: Any) -> models.CharField:
    """An ISO 4217 currency code ("USD", "EUR")."""
    return models.CharField(max_length=3, **kwargs)
