"""Writes of the clinic's set-up: one transaction each, validated here (the one place for pages and API), each
with its audit event. Every service asks `require_setup_admin` and works only inside the actor's clinic.

The writes live in one module per part of the set-up (a package since it passed 500 lines); every public name
is re-exported here, so `from nervecare.setup import services; services.clinic_update(...)` keeps working.
"""

from nervecare.setup.services.catalogue import (
    SERVICE_FIELDS,
    closure_add,
    closure_remove,
    holidays_import,
    room_save,
    service_save,
)
from nervecare.setup.services.clinic import (
    CLINIC_FIELDS,
    LOOSER,
    clinic_create,
    clinic_errors,
    clinic_update,
    thresholds_errors,
    thresholds_update,
)
from nervecare.setup.services.staff import (
    sessions_end,
    staff_deactivate,
    staff_invite,
    staff_invite_resend,
    staff_mfa_reset,
    staff_reactivate,
    therapist_profile_update,
)

__all__ = [
    "CLINIC_FIELDS",
    "LOOSER",
    "SERVICE_FIELDS",
    "clinic_create",
    "clinic_errors",
    "clinic_update",
    "closure_add",
    "closure_remove",
    "holidays_import",
    "room_save",
    "service_save",
    "sessions_end",
    "staff_deactivate",
    "staff_invite",
    "staff_invite_resend",
    "staff_mfa_reset",
    "staff_reactivate",
    "therapist_profile_update",
    "thresholds_errors",
    "thresholds_update",
]
