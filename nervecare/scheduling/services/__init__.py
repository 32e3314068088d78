"""Writes for scheduling: book, series, reschedule, cancel, no-show, check-in, waitlist, hours.

No double booking, ever. On PostgreSQL exclusion constraints are the last word: over [start, blocked_until)
per therapist and per room, and over [start, end) per client (the buffer is the therapist's and the room's
time to reset, not the client's). A race the check (checks._check_time) misses ends in an IntegrityError that
becomes a clean conflict naming what was taken. On SQLite every transaction is BEGIN IMMEDIATE (settings), so
the check and the insert run while no other writer can, which serialises conflicting bookings.

The package: `checks` (who may book, the therapist, service, room and plan, working hours and conflicts,
safety flags; the 409 errors), `access` (the record access a booking grants and its end), `booking` (one
appointment, and moving it), `holds` (a new client's online booking awaiting its e-mail confirmation), `series` (weekly series), `waitlist`, `status` (check-in, completion,
cancellation, no-show) and `hours` (working hours, time off). The role checks are core.permissions'.
"""

from nervecare.scheduling.services.access import booking_access_release
from nervecare.scheduling.services.booking import appointment_book, appointment_reschedule
from nervecare.scheduling.services.checks import (
    Booking,
    BookingConflictError,
    SessionBlockedError,
    check_may_book,
    release_expired_holds,
)
from nervecare.scheduling.services.daylist import day_list_email
from nervecare.scheduling.services.holds import appointment_hold, appointment_hold_confirm
from nervecare.scheduling.services.hours import exception_add, exception_remove, working_hours_set
from nervecare.scheduling.services.series import (
    course_weekdays,
    series_book,
    series_preview,
    series_reschedule_rest,
)
from nervecare.scheduling.services.status import (
    appointment_cancel,
    appointment_check_in,
    appointment_check_in_undo,
    appointment_complete,
    appointment_no_show,
    check_out,
    check_out_undo,
)
from nervecare.scheduling.services.waitlist import (
    waitlist_accept,
    waitlist_add,
    waitlist_offer,
    waitlist_offer_freed,
    waitlist_withdraw,
)

__all__ = [
    "Booking",
    "BookingConflictError",
    "SessionBlockedError",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_check_in_undo",
    "appointment_complete",
    "appointment_hold",
    "appointment_hold_confirm",
    "appointment_no_show",
    "appointment_reschedule",
    "booking_access_release",
    "check_may_book",
    "check_out",
    "check_out_undo",
    "day_list_email",
    "course_weekdays",
    "release_expired_holds",
    "exception_add",
    "exception_remove",
    "series_book",
    "series_preview",
    "series_reschedule_rest",
    "waitlist_accept",
    "waitlist_add",
    "waitlist_offer",
    "waitlist_offer_freed",
    "waitlist_withdraw",
    "working_hours_set",
]
