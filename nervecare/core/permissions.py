"""Who may do what. One place decides; views and API routes ask here."""

from django.core.exceptions import PermissionDenied

from nervecare.core.models import User


def require_clinical(user: User) -> None:
    """Clinical data (intake, screenings, flags, plans) is for the clinic's admins and therapists only."""
    if not user.is_authenticated or not user.is_clinical:
        raise PermissionDenied("Only a clinic's therapists and admins may see clinical data.")
