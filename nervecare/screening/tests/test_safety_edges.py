"""Safety rules at their edges (issue 19 points 1, 2, 3 and 6), each case built from the published rule.

Sources: clinical-reference.md §2 — lymph-node removal: "at-risk limb: axillary nodes → the arm on that side;
inguinal or pelvic nodes → the leg on that side; both sides when both" (MassageMag, oncology massage);
anticoagulants "e.g. warfarin, apixaban, rivaroxaban, dabigatran, edoxaban, heparins; ATC B01A" (NCCIH);
"diabetes with hypoglycaemia risk (insulin or sulfonylurea)"; "acute Guillain–Barré (onset phase) → stop"
(Werner); "a red, warm, swollen or deformed foot (suspected Charcot) → stop" (NHS foot-health pathway).
"""

import datetime
import re

import pytest

from nervecare.clients import lymph, medicines
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.plans.recommend import recommend
from nervecare.screening.services import safety_check_run
from nervecare.screening.tests.test_safety_rules import TODAY, fired, only, quiet

GBS = {"type": "autoimmune", "cause": "autoimmune", "diagnosis_code": "guillain_barre"}


# --- 1. Lymph-node removal restricts the at-risk limb ---------------------------------------------------
@pytest.mark.parametrize(
    ("sites", "area"),
    [
        (["axillary_left"], "left arm"),
        (["axillary_right"], "right arm"),
        (["inguinal_left"], "left leg"),
        (["pelvic_right"], "right leg"),
        (["axillary_left", "axillary_right"], "both arms"),
        (["inguinal_left", "pelvic_right"], "both legs"),
        (["axillary_left", "inguinal_right"], "left arm and right leg"),
    ],
)
def test_lymph_nodes_restrict_the_limb_on_that_side(sites, area):
    hit = only("lymphedema_risk", medical={"lymph_nodes_removed": True, "lymph_node_sites": sites})
    assert hit.area == area
    assert "axillary" not in hit.area and "inguinal" not in hit.area
    assert f"Light pressure only on the at-risk limb ({area}), for life." in hit.actions


def test_nodes_removed_without_a_site_restrict_every_limb_and_say_what_to_record():
    hit = only("lymphedema_risk", medical={"lymph_nodes_removed": True, "lymph_nodes_site": "axillary"})
    assert hit.area.startswith("both arms and both legs")
    assert "Record which lymph nodes were removed and on which side" in hit.reason


def test_the_plan_tells_the_therapist_the_limb_not_the_node_site():
    hit = only(
        "lymphedema_risk",
        medical={
            "lymph_nodes_removed": True,
            "lymph_node_sites": ["axillary_left"],
            "lymph_nodes_site": "left axillary",
        },
    )
    flag = type(
        "F",
        (),
        {
            "rule_id": hit.rule.id,
            "level": hit.level,
            "area": hit.area,
            "title": hit.rule.title,
            "actions": hit.actions,
            "effects": hit.rule.effects,
            "applies_to": hit.rule.applies_to,
        },
    )()
    plan = recommend(
        conditions=[{"type": "peripheral", "cause": "chemotherapy"}],
        marks=[],
        flags=[flag],
        has_lymphedema=False,
        baseline_instruments=[],
        therapists=[],
    )
    text = " ".join(plan["rationale"])
    assert "Light pressure only on the at-risk limb: left arm" in text
    assert "axillary" not in text


def test_every_lymph_site_maps_to_the_limb_the_reference_names():
    at_risk = {code: site["at_risk"] for code, site in lymph.sites().items()}
    assert at_risk["axillary"] == "arm"
    assert at_risk["inguinal"] == "leg"
    assert at_risk["pelvic"] == "leg"
    # A site the reference does not settle is marked as NerveCare's unconfirmed default.
    for code, site in lymph.sites().items():
        if code not in {"axillary", "inguinal", "pelvic"}:
            assert site.get("unconfirmed") is True and site.get("note"), code


def test_the_intake_refuses_an_unknown_lymph_site_naming_the_field(clinic, therapist_user):
    from nervecare.clients.services import medical_context_update
    from nervecare.core.errors import FieldErrors

    client = ClientFactory(clinic=clinic)
    with pytest.raises(FieldErrors) as exc:
        medical_context_update(actor=therapist_user, client=client, data={"lymph_node_sites": ["armpit"]})
    assert "lymph_node_sites" in exc.value.errors
    medical = medical_context_update(
        actor=therapist_user, client=client, data={"lymph_node_sites": ["axillary_left"]}
    )
    assert medical.lymph_nodes_removed is True  # the sites and the box agree


def test_the_data_migration_reads_existing_free_text_into_sites():
    import importlib

    migration = importlib.import_module(
        "nervecare.clients.migrations.0006_medical_lymph_node_sites_and_charcot_side"
    )
    assert migration.parse_sites("left axillary") == ["axillary_left"]
    assert migration.parse_sites("R groin and L axilla") == ["inguinal_right", "axillary_left"]
    assert migration.parse_sites("bilateral axillary") == ["axillary_left", "axillary_right"]
    assert migration.parse_sites("pelvic nodes, left") == ["pelvic_left"]
    # No side, or a side that could belong to either site: left for a person (the rule then covers every limb).
    assert migration.parse_sites("axillary") == []
    assert migration.parse_sites("Axilla (left) and groin") == []


# --- 2. The medicine list drives the rules ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("entry", "atc"),
    [
        ({"name": "Warfarin", "class": "anticoagulant"}, "B01AA03"),
        ({"name": "warfarin 5 mg daily", "class": ""}, "B01AA03"),
        ({"name": "Eliquis", "class": ""}, "B01AF02"),
        ({"name": "rivaroxaban", "class": ""}, "B01AF01"),
        ({"name": "dabigatran", "class": ""}, "B01AE07"),
        ({"name": "edoxaban", "class": ""}, "B01AF03"),
        ({"name": "enoxaparin", "class": ""}, "B01AB05"),
        ({"name": "clopidogrel", "class": ""}, "B01AC04"),
        ({"name": "Somethingxaban", "class": "blood thinner"}, ""),
        ({"name": "Drug X", "class": "antiplatelet"}, ""),
    ],
)
def test_an_anticoagulant_or_antiplatelet_in_the_list_raises_the_flag_with_the_box_unticked(entry, atc):
    hit = only("anticoagulants_bleeding", medical={"medications": [entry], "on_anticoagulants": False})
    assert hit.level == "modify"
    assert hit.rule.effects["max_pressure"] == "moderate"
    assert entry["name"] in hit.reason
    if atc:
        assert f"ATC {atc}" in hit.reason


def test_a_medicine_the_vocabulary_does_not_know_raises_nothing():
    quiet("anticoagulants_bleeding", medical={"medications": [{"name": "metformin", "class": "biguanide"}]})
    quiet("hypoglycaemia_risk", medical={"medications": [{"name": "metformin", "class": ""}]})


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "insulin glargine", "class": ""},
        {"name": "Lantus", "class": ""},
        {"name": "NPH insulin", "class": ""},
        {"name": "gliclazide", "class": ""},
        {"name": "Glyburide", "class": ""},
        {"name": "Drug Y", "class": "sulfonylurea"},
    ],
)
def test_insulin_or_a_sulfonylurea_in_the_list_is_the_hypoglycaemia_caution(entry):
    hit = only(
        "hypoglycaemia_risk",
        conditions=[{"type": "peripheral", "cause": "diabetes_t2"}],
        medical={"medications": [entry]},
    )
    assert hit.level == "caution"
    assert entry["name"] in hit.reason


def test_insulin_raises_the_caution_even_when_diabetes_is_missing_from_the_record():
    # The safer level when the intake lacks the diagnosis: insulin is only given for diabetes.
    only("hypoglycaemia_risk", medical={"medications": [{"name": "insulin aspart", "class": ""}]})


def test_the_box_and_the_list_are_kept_consistent(clinic, therapist_user):
    from nervecare.clients.services import medical_context_update

    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="injury", type="focal")
    medical = medical_context_update(
        actor=therapist_user,
        client=client,
        data={"medications": [{"name": "Warfarin", "class": "anticoagulant"}], "on_anticoagulants": False},
    )
    assert medical.on_anticoagulants is True
    flags = {f.rule_id: f for f in safety_check_run(actor=therapist_user, client=client)}
    assert "Warfarin" in flags["anticoagulants_bleeding"].reason
    # Unticking the box while the list still names warfarin does not untick it.
    medical = medical_context_update(actor=therapist_user, client=client, data={"on_anticoagulants": False})
    assert medical.on_anticoagulants is True
    # Removing the medicine leaves the box as the person set it.
    medical = medical_context_update(
        actor=therapist_user, client=client, data={"medications": [], "on_anticoagulants": False}
    )
    assert medical.on_anticoagulants is False


def test_every_medicine_has_an_atc_code_inside_its_class_group():
    classes = {c["code"]: c for c in medicines.vocabulary()["classes"]}
    for c in classes.values():
        assert c["sets"] in {"on_anticoagulants", "on_insulin_or_sulfonylurea", "on_steroids"}
    # The reference: anticoagulants are ATC B01A; antiplatelets (B01AC) sit inside it.
    assert classes["anticoagulant"]["atc_group"] == "B01A"
    assert classes["antiplatelet"]["atc_group"].startswith("B01A")
    for m in medicines.vocabulary()["medicines"]:
        # ATC level 5: letter, 2 digits, 2 letters, 2 digits.
        assert re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", m["atc"]), m["name"]
        assert m["atc"].startswith(classes[m["class"]]["atc_group"]), m["name"]
    # Every anticoagulant the reference names is in the vocabulary.
    names = {m["name"] for m in medicines.vocabulary()["medicines"]}
    assert {"warfarin", "apixaban", "rivaroxaban", "dabigatran", "edoxaban", "heparin"} <= names


# --- 3. Missing facts fall to the safer side; dates are used ---------------------------------------------
def test_gbs_onset_5_days_ago_without_a_phase_stops_and_says_what_to_record():
    hits = fired(conditions=[GBS | {"onset_date": TODAY - datetime.timedelta(days=5)}])
    assert hits["gbs_acute"].level == "stop"
    assert "gbs_recovery" not in hits
    assert "5 day(s) ago" in hits["gbs_acute"].reason
    assert "record the phase" in hits["gbs_acute"].reason


def test_gbs_without_phase_or_date_takes_the_onset_phase():
    hits = fired(conditions=[GBS])
    assert hits["gbs_acute"].level == "stop"
    assert "record the phase (or the onset date)" in hits["gbs_acute"].reason


def test_gbs_without_a_phase_long_after_onset_needs_clearance():
    hits = fired(conditions=[GBS | {"onset_date": TODAY - datetime.timedelta(days=400)}])
    assert hits["gbs_recovery"].level == "clearance"
    assert "gbs_acute" not in hits
    assert "record the phase to confirm" in hits["gbs_recovery"].reason


def test_gbs_window_edges_and_diagnosis_date_as_fallback():
    assert "gbs_acute" in fired(conditions=[GBS | {"onset_date": TODAY - datetime.timedelta(days=56)}])
    assert "gbs_recovery" in fired(conditions=[GBS | {"onset_date": TODAY - datetime.timedelta(days=57)}])
    assert "gbs_acute" in fired(conditions=[GBS | {"diagnosis_date": TODAY - datetime.timedelta(days=10)}])


def test_a_stated_gbs_phase_decides():
    hits = fired(conditions=[GBS | {"phase": "recovery", "onset_date": TODAY - datetime.timedelta(days=400)}])
    assert "gbs_recovery" in hits and "gbs_acute" not in hits
    assert "gbs_acute" in fired(conditions=[GBS | {"phase": "acute"}])


# --- 6. Suspected Charcot foot names the foot ------------------------------------------------------------
@pytest.mark.parametrize(
    ("side", "area"), [("left", "left foot"), ("right", "right foot"), ("both", "both feet")]
)
def test_suspected_charcot_names_the_foot(side, area):
    hit = only(
        "suspected_charcot", medical={"foot_red_warm_swollen": True, "foot_red_warm_swollen_side": side}
    )
    assert hit.level == "stop"
    assert hit.area == area
    assert f"No massage of the affected foot ({area}) or the leg above it." in hit.actions


def test_suspected_charcot_without_a_side_covers_both_feet_and_asks_which():
    hit = only("suspected_charcot", medical={"foot_red_warm_swollen": True})
    assert hit.area.startswith("both feet")
    assert "Record which foot" in hit.reason


def test_charcot_foot_side_reaches_the_stored_flag_and_the_plans_avoid_list(clinic, therapist_user):
    from nervecare.plans.recommend import avoid_areas_for

    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="injury", type="focal")
    MedicalContextFactory(client=client, foot_red_warm_swollen=True, foot_red_warm_swollen_side="right")
    flags = {f.rule_id: f for f in safety_check_run(actor=therapist_user, client=client)}
    assert flags["suspected_charcot"].area == "right foot"
    assert (
        "No massage of the affected foot (right foot) or the leg above it."
        in flags["suspected_charcot"].actions
    )
    assert "right foot" in avoid_areas_for(flags.values())


def test_an_mnsi_exam_ulcer_names_the_foot_and_the_answer_that_raised_it():
    from nervecare.screening.tests.test_safety_rules import EXAM_NORMAL

    hit = only(
        "foot_ulcer_wound_infection", answers={"mnsi_exam": EXAM_NORMAL | {"right.ulceration": "present"}}
    )
    assert hit.area == "right foot"
    assert "MNSI exam: ulceration present, right foot" in hit.reason


# --- 8. A flag says what raised it and what would close it ------------------------------------------------
def test_unticking_one_source_while_another_holds_says_so(clinic, therapist_user):
    from nervecare.clients.services import medical_context_update
    from nervecare.screening.services import response_create
    from nervecare.screening.tests.test_safety_rules import EXAM_NORMAL

    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, cause="injury", type="focal")
    MedicalContextFactory(client=client, foot_wound_or_ulcer=True, foot_wound_site="left heel")
    response_create(
        actor=therapist_user,
        client=client,
        instrument="mnsi_exam",
        answers=EXAM_NORMAL | {"right.ulceration": "present"},
    )
    flag = {f.rule_id: f for f in safety_check_run(actor=therapist_user, client=client)}[
        "foot_ulcer_wound_infection"
    ]
    assert "intake: foot wound or ulcer (left heel)" in flag.reason
    assert "MNSI exam: ulceration present, right foot" in flag.reason
    assert "Closes when every source above is gone" in flag.reason
    # The wound on the intake healed; the exam still records an ulcer on the right foot.
    medical_context_update(actor=therapist_user, client=client, data={"foot_wound_or_ulcer": False})
    flag = {f.rule_id: f for f in safety_check_run(actor=therapist_user, client=client)}[
        "foot_ulcer_wound_infection"
    ]
    assert "intake: foot wound" not in flag.reason
    assert "MNSI exam: ulceration present, right foot" in flag.reason
    assert flag.area == "right foot"


def test_the_anticoagulant_flag_names_the_medicine_not_the_box_it_ticked():
    hit = only("anticoagulants_bleeding", medical={"medications": [{"name": "apixaban", "class": ""}]})
    assert "apixaban (anticoagulant, ATC B01AF02)" in hit.reason
    assert "box" not in hit.reason.split("Medicines:")[1].split(".")[0]
    boxed = only("anticoagulants_bleeding", medical={"on_anticoagulants": True})
    assert "the box on the intake is ticked, no medicine of this kind is listed" in boxed.reason
