"""Demo session notes: a signed note for every completed demo session, with ratings that drift the way a
real course might (some clients improve, some do not), through the same services a therapist uses."""

import random

from nervecare.core.models import Clinic, User
from nervecare.scheduling.models import Appointment
from nervecare.visits.services import note_save, note_sign

AREAS = {
    "hand_and_foot": [{"region": "foot", "side": "both"}, {"region": "hand", "side": "both"}],
    "full_body": [
        {"region": "lower_back", "side": "midline"},
        {"region": "lower_leg", "side": "both"},
        {"region": "foot", "side": "both"},
        {"region": "forearm", "side": "both"},
    ],
    "focal": [{"region": "wrist", "side": "right"}, {"region": "forearm", "side": "right"}],
}


def seed_notes(clinic: Clinic, actor: User, rng: random.Random) -> int:
    done = 0
    sessions = (
        Appointment.objects.filter(clinic=clinic, status="completed", note__isnull=True)
        .select_related("plan", "client", "service", "therapist__user")
        .order_by("client_id", "starts_at")
    )
    visit_number: dict[int, int] = {}
    for appointment in sessions:
        plan = appointment.plan
        condition = appointment.client.conditions.first()
        n = visit_number.get(appointment.client_id, 0)
        visit_number[appointment.client_id] = n + 1
        improving = appointment.client_id % 3 != 0  # about a third of clients do not improve
        drift = n if improving else 0

        def rating(base: int | None, drift: int = drift) -> int:
            value = base if base is not None else 5
            return max(0, min(10, value - drift // 2 + rng.choice((-1, 0, 0, 1))))

        pain_before = rating(condition.pain if condition else None)
        numb_before = rating(condition.numbness if condition else None)
        tingle_before = rating(condition.tingling if condition else None)
        data = {
            "modality": appointment.service.modality,
            "pressure": plan.pressure if plan else "light",
            "minutes": appointment.service.minutes,
            "areas_treated": AREAS.get(plan.scope if plan else "hand_and_foot", AREAS["hand_and_foot"]),
            "subjective": rng.choice(
                [
                    "Slept better this week.",
                    "Feet feel heavy in the evening.",
                    "Tingling worse after long walks.",
                    "No change since last week.",
                ]
            ),
            "objective": "Skin intact; no swelling; feet warm.",
            "assessment": "Tolerated the session well."
            if n
            else "First session: some tenderness in the soles.",
            "plan": "Continue the same routine next week.",
            "pain_before": pain_before,
            "pain_after": max(0, pain_before - rng.choice((1, 1, 2))),
            "numbness_before": numb_before,
            "numbness_after": max(0, numb_before - rng.choice((0, 1))),
            "tingling_before": tingle_before,
            "tingling_after": max(0, tingle_before - rng.choice((0, 1, 1))),
            "soreness_after": max(0, (4 if n == 0 else 2) - n // 2 + rng.choice((0, 1))),
        }
        therapist_user = appointment.therapist.user  # the therapist who gave the session writes its note
        note = note_save(actor=therapist_user, appointment=appointment, data=data)
        note_sign(actor=therapist_user, note=note)
        done += 1
    return done
