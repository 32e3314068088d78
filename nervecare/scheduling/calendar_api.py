"""iCalendar feeds: a therapist's private feed (revocable token) and a client's .ics file."""

from ninja import Router

router = Router(tags=["calendars"])
