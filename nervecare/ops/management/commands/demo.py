"""`nervecare demo`: seed a deterministic, realistic demo clinic, then exit and say how to log in.

Idempotent: people are found by username and clients by name and birth date, so a second run adds nothing.
Everything goes through the same services the app uses, so the demo has an audit trail and real flags.
"""

import datetime
import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from nervecare.clients.models import Client, ClientShare, ConsentText
from nervecare.clients.services import client_share, intake_create
from nervecare.core.auth.mfa import demo_device_ensure, demo_secret_base32
from nervecare.core.models import Clinic, Therapist, User
from nervecare.ops.demo.footcheck import seed_foot_checks
from nervecare.ops.demo.money import seed_money
from nervecare.ops.demo.notes import seed_notes
from nervecare.ops.demo.schedule import seed_schedule
from nervecare.ops.demo.selfcare import seed_selfcare
from nervecare.ops.demo_claims import seed_claims
from nervecare.ops.demo_trials import seed_trials
from nervecare.plans.services import PlanBlockedError, plan_activate, plan_propose
from nervecare.screening.models import SafetyFlag, SafetyThresholds
from nervecare.screening.services import flag_record_clearance, response_create, safety_check_run

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

NAMES = [
    ("Margaret", "Collins"),
    ("Robert", "Nguyen"),
    ("Aisha", "Bello"),
    ("Henryk", "Kowalski"),
    ("Susan", "Patel"),
    ("David", "Moreau"),
    ("Grace", "Oduya"),
    ("Peter", "Lindqvist"),
    ("Fatima", "Haddad"),
    ("George", "Brennan"),
    ("Ingrid", "Sorensen"),
    ("Carlos", "Mendes"),
    ("Mei", "Chen"),
    ("Walter", "Fischer"),
    ("Nora", "Quinn"),
    ("Samuel", "Adeyemi"),
    ("Helen", "Murphy"),
    ("Rajesh", "Iyer"),
    ("Anna", "Horvath"),
    ("Frank", "Delgado"),
    ("Yuki", "Tanaka"),
    ("Elena", "Popescu"),
    ("Martin", "Weber"),
    ("Lucy", "Grant"),
    ("Omar", "Farouk"),
    ("Judith", "Klein"),
    ("Kwame", "Mensah"),
    ("Rosa", "Alvarez"),
    ("Brian", "OConnor"),
    ("Sofia", "Rossi"),
]

BOTH = ("left", "right")


def feet(sensation: str, level: int, up_to: tuple[str, ...] = ("toes", "sole")) -> list[dict[str, Any]]:
    return [{"region": r, "side": s, "sensation": sensation, "intensity": level} for r in up_to for s in BOTH]


def hands(sensation: str, level: int) -> list[dict[str, Any]]:
    return [{"region": "fingers", "side": s, "sensation": sensation, "intensity": level} for s in BOTH]


def mnsi(yes: set[int], no_on_7: bool = False, no_on_13: bool = False) -> dict[str, str]:
    answers = {str(i): ("yes" if i in yes else "no") for i in range(1, 16)}
    answers["7"] = "no" if no_on_7 else "yes"
    answers["13"] = "no" if no_on_13 else "yes"
    return answers


def dn4(yes: set[int]) -> dict[str, str]:
    return {str(i): ("yes" if i in yes else "no") for i in range(1, 11)}


# Each case: condition, medical context, body map, screenings (instrument -> answers), note.
CASES: list[dict[str, Any]] = [
    {  # the reference case: type 2 diabetes, numb feet, loss of protective sensation
        "condition": {
            "type": "peripheral",
            "cause": "diabetes_t2",
            "diagnosis_code": "diabetic_polyneuropathy_t2",
            "numbness": 7,
            "pain": 4,
            "tingling": 5,
            "burning": 3,
        },
        "medical": {"hba1c_percent": "7.4", "comorbidities": ["arthritis"]},
        "body_map": feet("numbness", 7) + feet("tingling", 5, ("toes",)),
        "screen": {"mnsi_history": mnsi({1, 5, 9, 11, 14}, no_on_7=True), "dn4": dn4({4, 5, 6, 8})},
        "goals": "Feel my feet again when I walk, and sleep without the tingling waking me.",
    },
    {  # diabetic foot ulcer -> stop
        "condition": {"type": "peripheral", "cause": "diabetes_t2", "numbness": 8, "pain": 3, "tingling": 4},
        "medical": {
            "foot_wound_or_ulcer": True,
            "foot_wound_site": "left heel",
            "on_insulin_or_sulfonylurea": True,
        },
        "body_map": feet("numbness", 8, ("toes", "sole", "foot_dorsum")),
        "screen": {"mnsi_history": mnsi({1, 2, 8, 9, 11, 14}, no_on_13=True)},
        "goals": "Less pain in my legs in the evening.",
    },
    {  # type 1 diabetes, stocking-and-glove, insulin -> caution
        "condition": {
            "type": "peripheral",
            "cause": "diabetes_t1",
            "diagnosis_code": "diabetic_polyneuropathy_t1",
            "numbness": 5,
            "pain": 6,
            "tingling": 6,
            "burning": 5,
        },
        "medical": {
            "on_insulin_or_sulfonylurea": True,
            "comorbidities": ["migraine"],
            "hba1c_percent": "8.1",
        },
        "body_map": feet("burning", 6, ("toes", "sole", "ankle", "lower_leg", "knee")) + hands("tingling", 4),
        "screen": {"mnsi_history": mnsi({2, 3, 5, 6, 9, 11, 12}), "dn4": dn4({1, 3, 4, 5, 6, 8, 10})},
        "goals": "Calm the burning so I can stand through a shift.",
    },
    {  # chemotherapy, low platelets and a port
        "condition": {
            "type": "peripheral",
            "cause": "chemotherapy",
            "chemotherapy_agent": "oxaliplatin",
            "diagnosis_code": "cipn",
            "numbness": 6,
            "pain": 5,
            "tingling": 7,
        },
        "medical": {
            "in_chemotherapy": True,
            "chemotherapy_cycle": 6,
            "platelets_per_ul": 42000,
            "neutrophils_per_ul": 1800,
            "devices": ["port"],
            "devices_site": "right upper chest",
        },
        "body_map": feet("tingling", 7) + hands("tingling", 6),
        "screen": {"dn4": dn4({2, 4, 5, 6, 8})},
        "goals": "Get through the rest of chemotherapy with less pain in my hands.",
    },
    {  # chemotherapy with lymphedema -> MLD
        "condition": {
            "type": "peripheral",
            "cause": "chemotherapy",
            "chemotherapy_agent": "paclitaxel",
            "diagnosis_code": "cipn",
            "numbness": 5,
            "pain": 3,
            "tingling": 5,
        },
        "medical": {
            "lymph_nodes_removed": True,
            "lymph_node_sites": ["axillary_left"],
            "lymph_nodes_site": "left axilla",
            "lymphedema": True,
            "lymphedema_site": "left arm",
            "radiation": True,
            "radiation_site": "left chest wall",
        },
        "body_map": feet("numbness", 5) + hands("numbness", 4),
        "screen": {"dn4": dn4({4, 6, 8})},
        "goals": "Keep the swelling in my arm down and feel the floor under my feet.",
    },
    {  # neutropenia -> stop
        "condition": {
            "type": "peripheral",
            "cause": "chemotherapy",
            "chemotherapy_agent": "bortezomib",
            "diagnosis_code": "cipn",
            "numbness": 4,
            "pain": 6,
            "tingling": 5,
        },
        "medical": {
            "in_chemotherapy": True,
            "chemotherapy_cycle": 3,
            "neutrophils_per_ul": 400,
            "platelets_per_ul": 120000,
        },
        "body_map": feet("pain", 6),
        "screen": {"dn4": dn4({1, 3, 4, 5, 10})},
        "goals": "Relief from the shooting pains.",
    },
    {  # carpal tunnel (focal)
        "condition": {
            "type": "focal",
            "cause": "injury",
            "diagnosis_code": "carpal_tunnel",
            "diagnosis": "Carpal tunnel syndrome",
            "numbness": 5,
            "pain": 4,
            "tingling": 6,
        },
        "medical": {"comorbidities": ["arthritis"]},
        "body_map": [
            {"region": "thumb_index_middle", "side": "right", "sensation": "tingling", "intensity": 6},
            {"region": "wrist", "side": "right", "sensation": "pain", "intensity": 4},
        ],
        "screen": {"dn4": dn4({4, 5, 6})},
        "goals": "Type at work without my fingers going numb.",
    },
    {  # trigeminal neuralgia (cranial)
        "condition": {
            "type": "cranial",
            "cause": "unknown",
            "diagnosis_code": "trigeminal_neuralgia",
            "diagnosis": "Trigeminal neuralgia",
            "pain": 7,
        },
        "medical": {"trigeminal_trigger_zones": "left upper lip and cheek", "comorbidities": ["migraine"]},
        "body_map": [
            {"region": "cheek", "side": "left", "sensation": "pain", "intensity": 7},
            {"region": "jaw", "side": "left", "sensation": "allodynia", "intensity": 5},
        ],
        "screen": {"dn4": dn4({3, 10})},
        "goals": "Relax my neck and shoulders without setting off an attack.",
    },
    {  # Bell's palsy (cranial)
        "condition": {
            "type": "cranial",
            "cause": "infection",
            "diagnosis_code": "bells_palsy",
            "diagnosis": "Bell's palsy",
            "numbness": 4,
            "weakness": 6,
        },
        "medical": {},
        "body_map": [
            {"region": "cheek", "side": "right", "sensation": "numbness", "intensity": 4},
            {"region": "forehead", "side": "right", "sensation": "weakness", "intensity": 6},
        ],
        "screen": {},
        "goals": "Help my face recover; less tightness.",
    },
    {  # Guillain–Barré in recovery -> clearance
        "condition": {
            "type": "autoimmune",
            "cause": "autoimmune",
            "diagnosis_code": "guillain_barre",
            "phase": "recovery",
            "numbness": 4,
            "weakness": 6,
            "balance": 5,
            "pain": 3,
        },
        "medical": {},
        "body_map": feet("numbness", 4, ("toes", "sole", "ankle", "lower_leg")) + hands("weakness", 5),
        "screen": {"mnsi_history": mnsi({1, 4, 5, 10, 11, 12})},
        "goals": "Get my strength back and walk without a stick.",
    },
    {  # CIDP
        "condition": {
            "type": "autoimmune",
            "cause": "autoimmune",
            "diagnosis_code": "cidp",
            "numbness": 5,
            "weakness": 5,
            "tingling": 4,
            "cramps": 6,
        },
        "medical": {"on_steroids": True, "medications": [{"name": "prednisolone", "class": "steroid"}]},
        "body_map": feet("numbness", 5, ("toes", "sole", "ankle", "lower_leg", "knee", "thigh"))
        + hands("tingling", 4),
        "screen": {"mnsi_history": mnsi({1, 4, 5, 10, 12, 14})},
        "goals": "Ease the cramps at night.",
    },
    {  # alcohol-related
        "condition": {"type": "peripheral", "cause": "alcohol", "numbness": 6, "pain": 5, "burning": 6},
        "medical": {},
        "body_map": feet("burning", 6, ("toes", "sole", "ankle")),
        "screen": {"mnsi_history": mnsi({1, 2, 3, 5, 11, 12}), "dn4": dn4({1, 4, 5, 6, 8, 9})},
        "goals": "Walk further without burning feet.",
    },
    {  # B12 deficiency
        "condition": {
            "type": "peripheral",
            "cause": "b12_deficiency",
            "numbness": 4,
            "tingling": 6,
            "balance": 4,
        },
        "medical": {},
        "body_map": feet("tingling", 6) + hands("tingling", 3),
        "screen": {"mnsi_history": mnsi({1, 5, 11})},
        "goals": "Less pins and needles.",
    },
    {  # hereditary (CMT)
        "condition": {
            "type": "peripheral",
            "cause": "hereditary",
            "diagnosis": "Charcot–Marie–Tooth disease",
            "numbness": 5,
            "weakness": 6,
            "cramps": 7,
            "balance": 6,
        },
        "medical": {},
        "body_map": feet("cramps", 7, ("sole", "lower_leg")) + feet("numbness", 5, ("toes",)),
        "screen": {"mnsi_history": mnsi({1, 4, 10, 12, 14}, no_on_13=True)},
        "goals": "Fewer cramps, better balance.",
    },
    {  # DVT 3 months ago during chemotherapy -> clearance
        "condition": {
            "type": "peripheral",
            "cause": "chemotherapy",
            "chemotherapy_agent": "docetaxel",
            "diagnosis_code": "cipn",
            "numbness": 5,
            "pain": 4,
            "tingling": 4,
        },
        "medical": {
            "dvt_history": True,
            "dvt_months_ago": 3,
            "dvt_site": "left calf",
            "on_anticoagulants": True,
            "medications": [{"name": "rivaroxaban", "class": "anticoagulant"}],
        },
        "body_map": feet("numbness", 5),
        "screen": {"dn4": dn4({4, 6, 8})},
        "goals": "Feel less heavy in my legs.",
    },
    {  # anticoagulants -> moderate pressure
        "condition": {
            "type": "peripheral",
            "cause": "diabetes_t2",
            "diagnosis_code": "diabetic_polyneuropathy_t2",
            "numbness": 4,
            "pain": 5,
            "tingling": 5,
        },
        "medical": {
            "on_anticoagulants": True,
            "medications": [{"name": "apixaban", "class": "anticoagulant"}],
            "comorbidities": ["atrial fibrillation", "heart failure"],
        },
        "body_map": feet("pain", 5),
        "screen": {"mnsi_history": mnsi({2, 3, 5, 9, 11}), "dn4": dn4({1, 4, 5, 8})},
        "goals": "Less aching in my feet in the evening.",
    },
    {  # acute Guillain–Barré -> stop
        "condition": {
            "type": "autoimmune",
            "cause": "infection",
            "diagnosis_code": "guillain_barre",
            "phase": "acute",
            "weakness": 7,
            "numbness": 5,
            "tingling": 6,
        },
        "medical": {"weakness_worsening_fast": True},
        "body_map": feet("weakness", 7, ("toes", "sole", "ankle", "lower_leg")) + hands("tingling", 5),
        "screen": {},
        "goals": "Referred by family; wants relaxation.",
    },
    {  # suspected Charcot foot -> stop
        "condition": {"type": "peripheral", "cause": "diabetes_t2", "numbness": 8, "pain": 2},
        "medical": {"foot_red_warm_swollen": True, "foot_red_warm_swollen_side": "right"},
        "body_map": feet("numbness", 8, ("toes", "sole", "foot_dorsum", "ankle")),
        "screen": {"mnsi_history": mnsi({1, 8, 9, 14}, no_on_7=True, no_on_13=True)},
        "goals": "Help with the swelling in my right foot.",
    },
]


class Command(BaseCommand):
    help = "Seed a deterministic demo clinic (idempotent) and print how to log in."

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(20261125)  # deterministic jitter
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
                u: self._person(clinic, u, first, last, role, profile)
                for u, first, last, role, profile in STAFF
            }
        owner = people["owner"]
        therapists = [people[u] for u in ("maria", "james", "lena", "tom")]
        created = 0
        for index, (first, last) in enumerate(NAMES):
            case = CASES[index % len(CASES)]
            dob = datetime.date(1942 + (index * 7) % 45, 1 + index % 12, 1 + (index * 3) % 27)
            if Client.objects.filter(
                clinic=clinic, first_name=first, last_name=last, date_of_birth=dob
            ).exists():
                continue
            with transaction.atomic():
                self._client(clinic, owner, therapists[index % 3], first, last, dob, case, rng)
            created += 1
        appointments = seed_schedule(clinic, people["desk"], rng)
        notes = seed_notes(clinic, owner, rng)
        seed_money(clinic, people["desk"])
        seed_claims(clinic, owner, rng)
        seed_foot_checks(clinic)  # two weeks of daily foot checks, one client with a missed streak
        seed_selfcare(clinic, owner, rng, DEMO_PASSWORD)
        seed_trials(clinic, people["maria"])  # issue 21: a completed A-B-A-B trial (ops/demo_trials.py)
        self._shares(clinic, owner, people["maria"], people["tom"])
        total = Client.objects.filter(clinic=clinic).count()
        flagged = (
            SafetyFlag.objects.filter(client__clinic=clinic, status="open")
            .values("client")
            .distinct()
            .count()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic '{clinic.name}': {total} clients ({created} added now), {flagged} with open safety flags, "
                f"{appointments} appointments and {notes} signed session notes added."
            )
        )
        self.stdout.write(
            "Log in at http://127.0.0.1:8000/ with one of (password for all: "
            f"{DEMO_PASSWORD}):\n"
            "  maria  — therapist, 12 years, oncology massage + lymphatic drainage\n"
            "  james  — therapist, 6 years, diabetic foot + neurological training\n"
            "  owner  — clinic owner (admin)\n"
            "  desk   — front desk (no clinical data)\n"
            "Staff sign-in asks for a two-step code after the password: run `./dev mfa code maria` (any demo\n"
            f"username) for the current one, or add the demo key {demo_secret_base32()} to an authenticator app."
        )

    def _person(self, clinic: Clinic, username: str, first: str, last: str, role: str, profile: Any) -> User:
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

    def _shares(self, clinic: Clinic, owner: User, primary: User, colleague: User) -> None:
        """Two of Maria's clients shared with Tom (he covers her Friday sessions): he sees their records."""
        for client in Client.objects.filter(clinic=clinic, primary_therapist=primary.therapist)[:2]:
            if not ClientShare.objects.filter(client=client, therapist=colleague.therapist).exists():
                client_share(
                    actor=owner,
                    client=client,
                    therapist_id=colleague.therapist.id,
                    reason="Covers Friday sessions",
                )

    def _client(
        self,
        clinic: Clinic,
        actor: User,
        therapist_user: User,
        first: str,
        last: str,
        dob: datetime.date,
        case: dict[str, Any],
        rng: random.Random,
    ) -> None:
        today = timezone.localdate()
        condition = dict(case["condition"])
        for symptom in ("numbness", "pain", "tingling", "burning", "cramps", "weakness", "balance"):
            if condition.get(symptom) is not None:
                condition[symptom] = max(0, min(10, condition[symptom] + rng.choice((-1, 0, 0, 1))))
        condition["onset_date"] = today - datetime.timedelta(days=rng.randint(200, 2500))
        if condition.get("cause") == "chemotherapy":
            condition["chemotherapy_start"] = today - datetime.timedelta(days=rng.randint(60, 200))
        medical = dict(case["medical"])
        months = medical.pop("dvt_months_ago", None)
        if months is not None:
            medical["dvt_date"] = today - datetime.timedelta(days=30 * months)
        client = intake_create(
            actor=actor,
            client={
                "first_name": first,
                "last_name": last,
                "date_of_birth": dob,
                "email": f"{first.lower()}.{last.lower()}@example.org",
                "phone": f"+44 20 7946 {rng.randint(1000, 9999)}",
                "emergency_contact_name": f"{rng.choice(['Sam', 'Alex', 'Chris', 'Jo'])} {last}",
                "emergency_contact_phone": f"+44 20 7946 {rng.randint(1000, 9999)}",
                "referring_clinician": rng.choice(
                    [
                        "Dr A. Shah (GP)",
                        "Dr M. Byrne (oncology)",
                        "Diabetes foot clinic",
                        "Dr K. Lewis (neurology)",
                    ]
                ),
                "goals": case["goals"],
            },
            conditions=[condition],
            medical=medical,
            body_map=case["body_map"],
            consent={"version": "1.0", "method": "written"},
            primary_therapist_id=therapist_user.therapist.id,
        )
        for code, answers in case["screen"].items():
            response_create(actor=actor, client=client, instrument=code, answers=answers)
        base = case["condition"]
        for code, symptom in (
            ("nrs_pain", "pain"),
            ("nrs_numbness", "numbness"),
            ("nrs_tingling", "tingling"),
        ):
            if base.get(symptom) is not None:
                response_create(
                    actor=actor, client=client, instrument=code, answers={symptom: condition[symptom]}
                )
        safety_check_run(actor=actor, client=client)
        plan, _proposal = plan_propose(actor=actor, client=client)
        if case["medical"].get("dvt_history") and rng.random() < 0.5:
            flag = client.flags.filter(rule_id="dvt_history", status="open").first()
            if flag is not None:
                flag_record_clearance(
                    actor=actor,
                    flag=flag,
                    clinician="Dr M. Byrne (oncology)",
                    clearance_date=today - datetime.timedelta(days=3),
                )
        try:
            plan_activate(actor=actor, plan=plan)
        except PlanBlockedError:
            pass  # stays proposed until the stop or clearance flag is dealt with
        except Exception as exc:  # noqa: BLE001 - an unqualified clinic leaves the plan proposed
            if "therapist" not in str(exc):
                raise
