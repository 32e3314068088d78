"""Courses and weekly series: a plan's N sessions a week on the chosen weekdays (dateutil.rrule makes the
dates), previewed date by date with alternatives for the ones that cannot be booked (a closure, a taken time,
outside hours), booked whole or not at all, and the rest of a series moved.

`dates` (the weekdays, the rule, each date's start and the count), `preview` (each date bookable or not, and
its alternatives) and `book` (the series booked, and its rest moved)."""

from nervecare.scheduling.services.series.book import series_book, series_reschedule_rest
from nervecare.scheduling.services.series.dates import course_weekdays
from nervecare.scheduling.services.series.preview import series_preview

__all__ = ["course_weekdays", "series_book", "series_preview", "series_reschedule_rest"]
