"""Who may do what. One place decides; views and API routes ask here."""

from django.core.exceptions import PermissionDenied

from nervecare.core.models import User


def clinic_id_of(user: User) -> int:
    """The user's clinic, for lookups scoped to it; 403 for a user without one.

    Staff pass `require_clinical` / `require_scheduling` first and portal clients always belong to their
    clinic, so this refuses no one those let through: it states that fact to the type checker, and still
    refuses if a caller forgot the check."""
    if user.clinic_id is None:
        raise PermissionDenied("Only a clinic's staff and clients may see its data.")
    return user.clinic_id


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
