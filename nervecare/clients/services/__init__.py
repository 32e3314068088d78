"""Writes to the clinical record. Each is one transaction and leaves an audit event.

A package (the house style's ~500 lines): intake.py (a new client), record.py (later changes to the record),
sharing.py (who else sees it), validation.py (the checks they share). The names the callers use are here."""

from nervecare.clients.models import CONDITION_FIELDS
from nervecare.clients.services.intake import CONTACT_FIELDS, client_register, intake_create
from nervecare.clients.services.record import (
    body_map_record,
    client_update,
    condition_add,
    condition_update,
    consent_record,
    medical_context_update,
)
from nervecare.clients.services.sharing import (
    client_access_grant,
    client_access_revoke,
    client_share,
    client_unshare,
)
from nervecare.clients.services.validation import DEVICE_CODES, MEDICAL_FIELDS

__all__ = [
    "CONDITION_FIELDS",
    "CONTACT_FIELDS",
    "DEVICE_CODES",
    "MEDICAL_FIELDS",
    "body_map_record",
    "client_access_grant",
    "client_access_revoke",
    "client_register",
    "client_share",
    "client_unshare",
    "client_update",
    "condition_add",
    "condition_update",
    "consent_record",
    "intake_create",
    "medical_context_update",
]
