"""The demo's clients: thirty names, and the cases they take in turn (condition, medical history, body map,
screening answers, goals), chosen to show every safety rule and plan the app has."""

from typing import Any

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
