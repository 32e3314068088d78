"""The demo clinic and its staff: the clinic with its published safety thresholds and consent text, the owner,
four therapists and the front desk (each with the demo password and two-step key), and the shares between them."""

import datetime
from typing import Any

from django.db import transaction

from nervecare.clients.models import Client, ClientShare, ConsentText
from nervecare.clients.services import client_share
from nervecare.core.auth.mfa import demo_device_ensure
from nervecare.core.models import Clinic, Therapist, User
from nervecare.screening.models import SafetyThresholds

DEMO_PASSWORD = "nervecare-demo"
CLINIC_SLUG = "riverside-demo"
CONSENT_TEXT = (
    "I agree to receive massage therapy. I have told my therapist about my health, medicines and neuropathy, "
    "and I will tell them about any change. Massage does not replace medical care and no cure is promised. "
    "I can stop a session or withdraw consent at any time."
)

STAFF = [
    # username, first, last, role, therapist profile (years, certifications) or None
    ("owner", "Olivia", "Hart", "admin", None),
    ("maria", "Maria", "Santos", "therapist", (12, ["oncology_massage", "mld", "diabetic_foot"])),
    ("james", "James", "Okafor", "therapist", (6, ["diabetic_foot", "neuro_rehab"])),
    ("lena", "Lena", "Virtanen", "therapist", (4, ["mld", "oncology_massage"])),
    ("tom", "Tom", "Becker", "therapist", (1, [])),
    ("desk", "Dana", "Reyes", "front_desk", None),
]


def seed_clinic() -> tuple[Clinic, dict[str, User]]:
    """The demo clinic and its staff by username (found again on a second run, never duplicated)."""
    with transaction.atomic():
        clinic, _created = Clinic.objects.get_or_create(
            slug=CLINIC_SLUG,
            defaults={"name": "Riverside Neuropathy Massage Clinic", "timezone": "Europe/London"},
        )
        # The demo clinic keeps the published safety thresholds, stored as its settings row.
        SafetyThresholds.objects.get_or_create(clinic=clinic)
        ConsentText.objects.get_or_create(
            clinic=clinic,
            version="1.0",
            defaults={"body": CONSENT_TEXT, "effective_from": datetime.date(2026, 1, 1)},
        )
        people = {
            u: _person(clinic, u, first, last, role, profile) for u, first, last, role, profile in STAFF
        }
    return clinic, people


def _person(clinic: Clinic, username: str, first: str, last: str, role: str, profile: Any) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "clinic": clinic,
            "role": role,
            "email": f"{username}@riverside.example",
            "is_staff": False,
            "is_superuser": False,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    demo_device_ensure(user)  # two-step sign-in with the published demo key
    if profile is not None:
        years, certs = profile
        Therapist.objects.get_or_create(
            user=user,
            defaults={
                "clinic": clinic,
                "display_name": f"{first} {last}",
                "years_experience": years,
                "certifications": certs,
            },
        )
    return user


def seed_shares(clinic: Clinic, owner: User, primary: User, colleague: User) -> None:
    """Two of Maria's clients shared with Tom (he covers her Friday sessions): he sees their records."""
    for client in Client.objects.filter(clinic=clinic, primary_therapist=primary.therapist)[:2]:
        if not ClientShare.objects.filter(client=client, therapist=colleague.therapist).exists():
            client_share(
                actor=owner,
                client=client,
                therapist_id=colleague.therapist.id,
                reason="Covers Friday sessions",
            )
