"""Who may do what. One place decides; services, selectors, views and API routes ask here.

Role checks (this module: every `require_*` lives here, and a test keeps it so)
-------------------------------------------------------------------------------
- `require_clinical`: the clinical record (intake, screenings, flags, plans, notes): admins and therapists.
- `require_scheduling`: appointments, hours, calendars (no clinical content): admins, therapists, front desk.
- `require_admin`: the clinic's admins (deleting, restoring and erasing a client; the audit trail through
  `require_audit_admin`).
- `require_setup_admin`: the clinic's set-up (details, booking rules, thresholds, staff, services, rooms,
  hours, closures): the clinic's own admins, and only for their own clinic (never an installation superuser).
- `require_portal_user`: the client portal is for clients only.
- `require_billing`: money (prices, invoices, payments, courses, fees; no clinical content): admins and the front
  desk. `require_billing_admin`: voiding, refunding, waiving a fee, prices and the clinic's money settings:
  admins only. `require_billing_view`: reading money records (courses left, a therapist's own takings):
  admins, the front desk and therapists (billing/selectors.py narrows a therapist to their own).
- `require_clinical_or_own_record` / `require_scheduling_or_own_record`: staff of the given kind, or the
  client themself through the portal. The platform knows no client record: "own" means the actor is the
  record's portal user (`owner_user_id` returns that user's id, asked only when the actor is a client).

Object-level rules (which rows a user may see: in each app's selectors, built on the role checks above)
------------------------------------------------------------------------------------------------------
- clients/selectors.py: `clients_visible_to` (THE rule for whose clinical record a user sees),
  `clients_bookable_by` / `user_may_book` / `client_get_for_booking` (whom staff may book),
  `user_sees_client`, `client_get_for_user`, `client_list_for_user`, `client_summaries_for_user`,
  `client_access_grants` (admins only).
- visits/selectors.py: `notes_visible_to`, `adverse_events_visible_to`, `amendments_visible_to`,
  `note_get_for_user`, `adverse_event_get_for_user`.
- scheduling/selectors.py: `appointment_get_for_user`; scheduling/services/checks.py `check_may_book`
  (the role check plus `user_may_book`: the same 404 as for a record one cannot see).
- plans/selectors.py: `plan_get_for_client` (after the client was fetched through the rules above).
- plans/selectors.py: `plan_get_for_user` (a plan of a client the user may see).
- outcomes/selectors.py: `report_job_get_for_user`; outcomes/analysis/client.py: `client_outcomes_for_user`.
- trials/selectors.py: `trials_visible_to`, `client_for_trials`, `trial_get_for_user` (a trial of a client whose record the user
  sees: the client's outcomes' rule), `trial_get_for_client` (the portal's own client, decided by the portal).
- portal/selectors.py: `client_for_portal_user` (the one record a signed-in client sees).
- interop/proposal_selectors.py: `contact_proposals_for_user`, `contact_proposal_get_for_user`;
  interop/bulk.py: `export_get_for_user`.
- ops/privacy.py: `deleted_client_get_for_admin`.
- ops/documents.py: `document_get_for_user` (a document of a client the user may see, via
  `client_get_for_user`); ops/importing/services.py: `import_run_get_for_admin` (an import of the admin's
  own clinic).
- core/services.py: `api_tokens_visible_to`.
- setup/selectors.py: `staff_get_for_admin`, `therapist_get_for_admin`, `service_get_for_admin`,
  `room_get_for_admin`, `closure_get_for_admin`, `time_off_get_for_admin` (the admin's own clinic only).
- billing/selectors.py: `invoice_get_for_user`, `payment_get_for_user`, `course_get_for_user`,
  `fee_get_for_user`, `billing_client_get_for_user` (the clinic's clients for admins and the desk),
  `invoice_get_for_client` (a client's own documents, after portal.selectors decided the client),
  `courses_visible_to` (the desk and admins every course of the clinic; a therapist those of clients they see),
  `gift_cards_visible_to` / `gift_card_get_for_user` (the desk and admins, their clinic's cards only),
  `memberships_visible_to` / `membership_get_for_user` / `membership_plan_get_for_user` (the desk and admins,
  their clinic's), `checkout_visit_get_for_user` (a visit of the clinic to check out: the desk and admins).
- footcheck/selectors.py: `foot_check_get_for_user`, `foot_check_photo_for_user` and `foot_checks_for_user`
  (a daily foot-check report, its photo, a client's reports: of a client the user may see, via
  `client_get_for_user`), `foot_checks_visible_to` (every report of the clients the user sees), and
  `foot_check_watch` (the therapist's list: the clients of `clients_visible_to` only).
- selfcare/selectors.py: `programme_get_for_user` (a home programme of a client the user may see, via
  `client_get_for_user`), `programme_get_for_client` (after the client was fetched through the rules above, or
  by portal.selectors for the signed-in client), `selfcare_client_get_for_user` (whose self-care a user may read
  or tick: clinical staff through `client_get_for_user`, or the client themself).
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from nervecare.core.models import Clinic, User


def clinic_id_of(user: User) -> int:
    """The user's clinic, for lookups scoped to it; 403 for a user without one.

    Staff pass `require_clinical` / `require_scheduling` first and portal clients always belong to their
    clinic, so this refuses no one those let through: it states that fact to the type checker, and still
    refuses if a caller forgot the check."""
    if user.clinic_id is None:
        raise PermissionDenied("Only a clinic's staff and clients may see its data.")
    return user.clinic_id


def clinic_of(user: User) -> Clinic:
    """The user's clinic (`clinic_id_of`, for code that needs the clinic itself, e.g. its time zone)."""
    if user.clinic is None:
        raise PermissionDenied("Only a clinic's staff and clients may see its data.")
    return user.clinic


def require_clinical(user: User) -> None:
    """Clinical data (intake, screenings, flags, plans) is for the clinic's admins and therapists only."""
    if not user.is_authenticated or not user.is_clinical:
        raise PermissionDenied("Only a clinic's therapists and admins may see clinical data.")


def require_scheduling(user: User) -> None:
    """Appointments, hours and calendars: admins, therapists and the front desk (no clinical content)."""
    if (
        not user.is_authenticated
        or user.clinic_id is None
        or user.role
        not in {
            User.Role.ADMIN,
            User.Role.THERAPIST,
            User.Role.FRONT_DESK,
        }
    ):
        raise PermissionDenied("Only a clinic's staff may see its schedule.")


def _is_clinic_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.clinic_id is not None and user.role == User.Role.ADMIN)


def require_admin(user: User) -> None:
    """Deleting, restoring and erasing a client: the clinic's admins only."""
    if not _is_clinic_admin(user):
        raise PermissionDenied(_("Only a clinic admin may delete, restore or erase a client."))


def require_audit_admin(user: User) -> None:
    """The audit trail is for the clinic's admins only."""
    if not _is_clinic_admin(user):
        raise PermissionDenied("Only the clinic's admins may see the audit trail.")


def require_setup_admin(user: User) -> None:
    """The clinic's set-up: its own admins only (every lookup is then scoped with `clinic_id_of`)."""
    if not _is_clinic_admin(user):
        raise PermissionDenied(_("Only the clinic's admins may change its set-up."))


def require_portal_user(user: User) -> None:
    """The portal is for clients; staff have their own pages (and a client never sees those)."""
    if not user.is_authenticated or user.role != User.Role.CLIENT:
        raise PermissionDenied("The portal is for clients.")


def _is_portal_user(user: User) -> bool:
    return bool(user.is_authenticated and user.role == User.Role.CLIENT)


def _is_owner(user: User, owner_user_id: Callable[[], int | None]) -> bool:
    owner = owner_user_id()
    return owner is not None and owner == user.pk


def require_clinical_or_own_record(user: User, *, owner_user_id: Callable[[], int | None]) -> None:
    """Clinical staff, or the client themself writing to their own record through the portal: a client's
    sign-in is linked to exactly one record; any other record is refused. `owner_user_id` gives the user id
    of the record's portal user (None: it has none), asked only when the actor is a client."""
    if _is_portal_user(user):
        if not _is_owner(user, owner_user_id):
            raise PermissionDenied("A client may only write to their own record.")
        return
    require_clinical(user)


def require_scheduling_or_own_record(user: User, *, owner_user_id: Callable[[], int | None]) -> None:
    """The clinic's staff (require_scheduling), or the client booking for themself through the portal.
    Which clients a member of staff may book is an object-level rule (clients.selectors.user_may_book)."""
    if _is_portal_user(user):
        if not _is_owner(user, owner_user_id):
            raise PermissionDenied("A client may only book for themself.")
        return
    require_scheduling(user)


def _has_role(user: User, roles: set[str]) -> bool:
    return bool(user.is_authenticated and user.clinic_id is not None and user.role in roles)


def require_billing(user: User) -> None:
    """Money (invoices, payments, courses, fees): the clinic's admins and front desk; no clinical content."""
    if not _has_role(user, {User.Role.ADMIN, User.Role.FRONT_DESK}):
        raise PermissionDenied("Only the clinic's front desk and admins handle money.")


def require_billing_admin(user: User) -> None:
    """Voiding an invoice, refunding, waiving a fee, prices and money settings: the clinic's admins only."""
    if not _is_clinic_admin(user):
        raise PermissionDenied("Only a clinic admin may void, refund, waive fees or set prices.")


def require_billing_view(user: User) -> None:
    """Reading money records: admins, the front desk, and therapists (their own takings, their clients'
    courses: the selectors narrow)."""
    if not _has_role(user, {User.Role.ADMIN, User.Role.FRONT_DESK, User.Role.THERAPIST}):
        raise PermissionDenied("Only the clinic's staff may see its money records.")
