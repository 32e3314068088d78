"""Issue 19 point 9: the message after booking a series reads right in the singular and the plural."""

from nervecare.scheduling.views import series_booked_text


def test_singular_and_plural():
    assert series_booked_text(1, 1) == "1 session booked; 1 date skipped."
    assert series_booked_text(11, 2) == "11 sessions booked; 2 dates skipped."


def test_nothing_skipped_is_not_mentioned():
    assert series_booked_text(24, 0) == "24 sessions booked."
