"""API routes for the signed-in user and the clinic's therapists."""

from django.http import HttpRequest
from ninja import Router, Schema

from nervecare.core.permissions import require_scheduling
from nervecare.plans.selectors import therapists_for_clinic

router = Router(tags=["clinic"])


class MeOut(Schema):
    username: str
    role: str
    clinic: str | None


class TherapistOut(Schema):
    id: int
    display_name: str
    years_experience: int
    certifications: list[str]


@router.get("/me", response=MeOut, summary="Who am I")
def me(request: HttpRequest) -> dict:
    user = request.user
    return {"username": user.username, "role": user.role, "clinic": user.clinic.name if user.clinic else None}


@router.get("/therapists", response=list[TherapistOut], summary="The clinic's therapists")
def therapists(request: HttpRequest) -> list:
    require_scheduling(request.user)  # names, experience and training: the front desk books with them too
    return therapists_for_clinic(request.user.clinic_id)
