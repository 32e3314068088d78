"""The sane range of every date and date-time NerveCare accepts, and finite numbers only.

Why: the database stores year 1 or year 9999 happily, but the arithmetic done on a stored date later does not
(a buffer added to 9999-12-31 overflows, a "+14:00" instant in year 1 has no UTC equivalent), so one stored
value made a page a 500 for the whole clinic. Every boundary takes its date types from here: the API schemas
and query parameters (the pydantic types below), the pages (BoundedDateField), FHIR search and $export
(DateBound.contains through interop.search). No CLI option takes a date; `token --expires-days` is
bounded where it is read.

The ranges, chosen for what a clinic does ("today" is the clinic's today wherever it is: the upper limits are
read from the latest calendar date on Earth, UTC+14, the lower ones from the earliest, UTC-12):

=========  ===============================  =====================================================================
BIRTH      1900-01-01 .. today              a client's date of birth
HISTORY    1900-01-01 .. today + 1 year     clinical history (onset, diagnosis, chemotherapy, DVT, labs,
                                            clearance), consent, screening and body-map times
SCHEDULE   today - 2 years .. today + 5 y.  appointments, series, reschedules, time off, waitlist, slot search
SEARCH     1900-01-01 .. today + 5 years    search windows: appointment lists, calendar pages, FHIR date search,
                                            $export _since
AUDIT      2000-01-01 .. today + 1 day      audit trail search
=========  ===============================  =====================================================================

A date-time is checked on its calendar date as written (before any time-zone conversion, so the check itself
cannot overflow); inside these ranges every conversion and every buffer added later is safe.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from pydantic import AfterValidator, BeforeValidator

_EARTH_AHEAD = dt.timedelta(hours=14)  # UTC+14 (Kiribati) is the first to reach a date
_EARTH_BEHIND = dt.timedelta(hours=12)  # UTC-12 the last


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes the 28th in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _fixed(day: dt.date) -> Callable[[dt.date], dt.date]:
    return lambda _today: day


@dataclass(frozen=True)
class DateBound:
    """An inclusive calendar range, its ends computed from today when asked (so tests may travel in time)."""

    name: str
    earliest_from: Callable[[dt.date], dt.date]
    latest_from: Callable[[dt.date], dt.date]
    too_late: str = ""  # a plainer message for a date after the range ("cannot be in the future")

    def limits(self, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
        now = now or timezone.now()
        earliest = self.earliest_from((now - _EARTH_BEHIND).date())
        latest = self.latest_from((now + _EARTH_AHEAD).date())
        return earliest, latest

    def message(self) -> str:
        earliest, latest = self.limits()
        return f"must be between {earliest.isoformat()} and {latest.isoformat()}"

    def contains(self, value: dt.date | dt.datetime) -> bool:
        return self.problem(value) is None

    def problem(self, value: dt.date | dt.datetime) -> str | None:
        """What is wrong with the value ("must be between ..."), or None when it is in range."""
        day = value.date() if isinstance(value, dt.datetime) else value
        earliest, latest = self.limits()
        if day > latest and self.too_late:
            return self.too_late
        return None if earliest <= day <= latest else self.message()

    def check(self, value: Any) -> Any:
        """The value itself, or ValueError naming the range (the pydantic validator)."""
        if isinstance(value, dt.date) and (problem := self.problem(value)):
            raise ValueError(problem)
        return value


BIRTH = DateBound("birth", _fixed(dt.date(1900, 1, 1)), lambda today: today, "cannot be in the future")
HISTORY = DateBound("history", _fixed(dt.date(1900, 1, 1)), lambda today: add_years(today, 1))
SCHEDULE = DateBound("schedule", lambda today: add_years(today, -2), lambda today: add_years(today, 5))
SEARCH = DateBound("search", _fixed(dt.date(1900, 1, 1)), lambda today: add_years(today, 5))
AUDIT = DateBound("audit", _fixed(dt.date(2000, 1, 1)), lambda today: today + dt.timedelta(days=1))


# --- pydantic (django-ninja schemas and query parameters) -----------------------------------------------------


def _written_as_text(value: Any) -> Any:
    # A bare number would otherwise be read as seconds since 1970.
    if not isinstance(value, str | dt.date):
        raise ValueError("must be written as ISO 8601 text (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+hh:mm)")
    return value


_Text = BeforeValidator(_written_as_text)
BirthDate = Annotated[dt.date, _Text, AfterValidator(BIRTH.check)]
HistoryDate = Annotated[dt.date, _Text, AfterValidator(HISTORY.check)]
HistoryDateTime = Annotated[dt.datetime, _Text, AfterValidator(HISTORY.check)]
ScheduleDate = Annotated[dt.date, _Text, AfterValidator(SCHEDULE.check)]
ScheduleDateTime = Annotated[dt.datetime, _Text, AfterValidator(SCHEDULE.check)]
SearchDateTime = Annotated[dt.datetime, _Text, AfterValidator(SEARCH.check)]
AuditDate = Annotated[dt.date, _Text, AfterValidator(AUDIT.check)]


# --- Django forms (the pages and the portal) --------------------------------------------------------------------


class BoundedDateField(forms.DateField):
    """A DateField that refuses a date outside its range with a form error naming the range. Use a subclass
    below (also as a ModelForm's Meta.field_classes) or pass bound=."""

    bound: DateBound

    def __init__(self, *args: Any, bound: DateBound | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.bound = bound or self.bound

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date) and (problem := self.bound.problem(value)):
            raise ValidationError(problem, code="out_of_range")  # worded as the services word theirs


class BirthDateField(BoundedDateField):
    bound = BIRTH


class HistoryDateField(BoundedDateField):
    bound = HISTORY


class ScheduleDateField(BoundedDateField):
    bound = SCHEDULE


class AuditDateField(BoundedDateField):
    bound = AUDIT


# --- JSON bodies --------------------------------------------------------------------------------------------------


class NonFiniteNumberError(ValueError):
    """A JSON body holds a number no column can store: 1e999 (read as infinity), NaN or Infinity."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(f"{field}: must be a finite number")


def non_finite_path(data: Any, path: str = "") -> str | None:
    """Where the first non-finite number in parsed JSON is ("observations[0].value"), or None."""
    if isinstance(data, float) and not math.isfinite(data):
        return path or "body"
    if isinstance(data, dict):
        for key, value in data.items():
            found = non_finite_path(value, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = non_finite_path(value, f"{path}[{index}]")
            if found:
                return found
    return None


def reject_non_finite(data: Any) -> Any:
    """The parsed JSON itself, or NonFiniteNumberError naming where the bad number is."""
    path = non_finite_path(data)
    if path is not None:
        raise NonFiniteNumberError(path)
    return data
