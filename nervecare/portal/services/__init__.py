"""Writes made by or for a client in the portal.

Each service first finds the client's own record through their account (selectors.client_for_portal_user),
then writes with the client's own user as the actor, in one transaction with its audit event. Where a clinical
service accepts the client as the actor on their own record (screening.services.response_create,
clients.services.condition_add / medical_context_update / body_map_record, scheduling.services.appointment_book)
the portal goes through it, so the same validation and the same safety check run as for the staff.

`invitations` (the portal account and its invitation), `record` (consent, questionnaires, the diary),
`appointments` (cancel, book, reschedule, the waitlist offer) and `intake` (the client's intake and its review).
"""

from nervecare.portal.services.appointments import (
    CLIENT_CANCEL_REASON,
    portal_appointment_book,
    portal_appointment_cancel,
    portal_waitlist_accept,
    waitlist_offer_email,
)
from nervecare.portal.services.intake import client_intake_review, client_intake_submit
from nervecare.portal.services.invitations import client_invite, invite_registered_client, portal_invitation
from nervecare.portal.services.record import diary_entry_save, portal_consent_sign, portal_response_create

__all__ = [
    "CLIENT_CANCEL_REASON",
    "client_intake_review",
    "client_intake_submit",
    "client_invite",
    "diary_entry_save",
    "invite_registered_client",
    "portal_appointment_book",
    "portal_appointment_cancel",
    "portal_consent_sign",
    "portal_invitation",
    "portal_response_create",
    "portal_waitlist_accept",
    "waitlist_offer_email",
]
