"""Money arithmetic: py-moneyed's Money (a Decimal amount with its ISO 4217 currency; adding two currencies
is refused), rounded to the currency's minor unit (Babel's CLDR data: 2 for USD/EUR/GBP, 0 for JPY, 3 for
BHD) with banker's-free ROUND_HALF_UP, as invoices and tax authorities expect. Never a float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision
from moneyed import Money, get_currency
from moneyed.classes import CurrencyDoesNotExist

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def valid_currency(code: str) -> bool:
    """True for an ISO 4217 code py-moneyed knows (e.g. "USD", "EUR", "GBP")."""
    try:
        get_currency(code.upper())
    except (CurrencyDoesNotExist, AttributeError):
        return False
    return len(code) == 3


def quantum(currency: str) -> Decimal:
    """The currency's smallest unit as a Decimal exponent (0.01 for USD). Stored amounts keep 2 places, so a
    currency with 3 (BHD) is rounded to 2 here too (the columns' scale)."""
    places = min(get_currency_precision(currency), 2)
    return Decimal(1).scaleb(-places)


def money(amount: Decimal | int | str, currency: str) -> Money:
    """A Money rounded to the currency's minor unit (half up)."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    return Money(value.quantize(quantum(currency), rounding=ROUND_HALF_UP), currency)


def round_amount(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def tax_on(net: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
    """The tax on a net amount at a rate in percent, rounded per line (half up)."""
    return round_amount(net * rate_percent / Decimal(100), currency)


def split_evenly(total: Decimal, parts: int, currency: str) -> list[Decimal]:
    """`total` in `parts` equal shares to the minor unit; the last share takes the remainder, so they add up
    to `total` exactly (a course's per-session value)."""
    share = (total / parts).quantize(quantum(currency), rounding=ROUND_HALF_UP)
    shares = [share] * (parts - 1)
    shares.append(total - share * (parts - 1))
    return shares


def fmt(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """An amount for people: "$1,234.50", "€12.00"."""
    return format_currency(amount, currency, locale=locale)
