"""The body map: vocabulary checks, pattern hints (clinical-reference.md §4) and visit-to-visit comparison."""

import pytest

from nervecare.clients.bodymap import Mark, compare, recognise_pattern, regions, sensations, validate_marks


def marks(*specs, sensation="numbness", intensity=6):
    """Marks from "side:region" strings ("left:toes"); a region without a side is midline."""
    out = []
    for spec in specs:
        side, _, region = spec.rpartition(":")
        out.append(Mark(region, side or "midline", sensation, intensity))
    return out


def both(*region_names):
    return [f"{side}:{r}" for r in region_names for side in ("left", "right")]


# --- Vocabulary --------------------------------------------------------------------------------------------
def test_vocabulary_covers_the_reference_regions_and_sensations():
    assert {
        "toes",
        "sole",
        "foot_dorsum",
        "heel",
        "ankle",
        "lower_leg",
        "knee",
        "thigh",
        "fingers",
        "palm",
        "hand_back",
        "wrist",
        "forearm",
        "elbow",
        "upper_arm",
        "forehead",
        "cheek",
        "jaw",
        "neck",
        "chest",
        "abdomen",
        "upper_back",
        "lower_back",
        "buttock",
    } <= set(regions())
    assert set(sensations()) == {"numbness", "pain", "tingling", "burning", "allodynia", "cramps", "weakness"}


def test_leg_levels_rise_from_the_toes():
    r = regions()
    chain = ["toes", "ankle", "lower_leg", "knee", "thigh"]
    assert [r[c]["level"] for c in chain] == sorted(r[c]["level"] for c in chain)
    assert len({r[c]["level"] for c in chain}) == len(chain)
    assert r["toes"]["level"] == r["sole"]["level"] == 1


# --- validate_marks --------------------------------------------------------------------------------------
def raw(region="toes", side="left", sensation="numbness", intensity=5, **extra):
    return {"region": region, "side": side, "sensation": sensation, "intensity": intensity, **extra}


def test_valid_marks_come_back_as_marks_without_errors():
    clean, errors = validate_marks(
        [raw(), raw(side="right", sensation="burning", intensity=0), raw("neck", None)]
    )
    assert errors == {}
    assert clean == [
        Mark("toes", "left", "numbness", 5),
        Mark("toes", "right", "burning", 0),
        Mark("neck", "midline", "numbness", 5),
    ]


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        (raw(region="big_toe"), "marks[1].region"),
        (raw(sensation="itching"), "marks[1].sensation"),
        (raw(side=None), "marks[1].side"),
        (raw(side="midline"), "marks[1].side"),
        (raw(region="buttock", side=""), "marks[1].side"),
        (raw(region="chest", side="left"), "marks[1].side"),
        (raw(intensity=11), "marks[1].intensity"),
        (raw(intensity=-1), "marks[1].intensity"),
        (raw(intensity="5"), "marks[1].intensity"),
        (raw(intensity=5.5), "marks[1].intensity"),
        (raw(intensity=True), "marks[1].intensity"),
        (raw(intensity=None), "marks[1].intensity"),
    ],
    ids=[
        "unknown-region",
        "unknown-sensation",
        "missing-side",
        "midline-on-sided",
        "blank-side-buttock",
        "side-on-midline",
        "intensity-11",
        "intensity-negative",
        "intensity-text",
        "intensity-fraction",
        "intensity-bool",
        "intensity-missing",
    ],
)
def test_bad_mark_is_reported_under_its_index_and_field(bad, key):
    clean, errors = validate_marks([raw(side="right"), bad])
    assert list(errors) == [key]
    assert clean == [Mark("toes", "right", "numbness", 5)]  # the bad mark is not kept


def test_several_problems_in_one_mark_are_all_reported():
    _, errors = validate_marks([raw(side=None, sensation="itching", intensity=11)])
    assert set(errors) == {"marks[0].side", "marks[0].sensation", "marks[0].intensity"}


def test_intensity_bounds_0_and_10_are_allowed():
    clean, errors = validate_marks([raw(intensity=0), raw(sensation="pain", intensity=10)])
    assert errors == {}
    assert [m.intensity for m in clean] == [0, 10]


def test_duplicate_mark_is_reported_on_the_second_one():
    clean, errors = validate_marks([raw(intensity=4), raw(intensity=7)])
    assert len(clean) == 1 and clean[0].intensity == 4
    assert len(errors) == 1
    (key,) = errors
    assert key.startswith("marks[1]")
    assert "twice" in errors[key]


def test_same_region_different_side_or_sensation_is_not_a_duplicate():
    _, errors = validate_marks([raw(), raw(side="right"), raw(sensation="tingling")])
    assert errors == {}


def test_midline_duplicates_are_caught_whether_side_is_blank_or_midline():
    clean, errors = validate_marks([raw("lower_back", None), raw("lower_back", "midline")])
    assert len(clean) == 1
    assert [k for k in errors if k.startswith("marks[1]")]


# --- recognise_pattern -----------------------------------------------------------------------------------
def test_symmetric_toes_and_soles_are_length_dependent():
    result = recognise_pattern(marks(*both("toes", "sole")))
    assert result["pattern"] == "length_dependent"
    assert result["hands_involved"] is False
    assert result["leg_level"] == 1
    assert result["referral_question"] is False


def test_feet_to_shins_with_both_hands_is_stocking_and_glove():
    result = recognise_pattern(marks(*both("toes", "sole", "ankle", "lower_leg", "fingers", "palm")))
    assert result["pattern"] == "length_dependent"
    assert "glove" in result["label"].lower()
    assert result["hands_involved"] is True
    assert result["leg_level"] == regions()["lower_leg"]["level"]
    assert result["referral_question"] is False
    assert result["notes"] == []


def test_hands_with_only_the_toes_is_flagged_as_less_typical():
    result = recognise_pattern(marks(*both("toes", "fingers")))
    assert result["pattern"] == "length_dependent"
    assert result["notes"], "hands joining before the legs reach the shins should be noted"


def test_one_sided_median_territory_is_focal():
    result = recognise_pattern(marks("right:thumb_index_middle", "right:wrist", sensation="tingling"))
    assert result["pattern"] == "focal"
    assert "right" in result["label"]
    assert result["referral_question"] is False


def test_one_side_of_the_face_is_cranial():
    result = recognise_pattern(marks("left:cheek", "left:jaw", sensation="pain", intensity=8))
    assert result["pattern"] == "cranial"
    assert "left" in result["label"]
    assert any("facial droop" in n for n in result["notes"])


def test_left_foot_with_right_thigh_is_asymmetric_and_asks_a_referral_question():
    result = recognise_pattern(marks("left:toes", "left:sole", "right:thigh"))
    assert result["pattern"] == "asymmetric"
    assert result["referral_question"] is True


def test_symmetric_feet_with_one_hand_is_not_length_dependent():
    result = recognise_pattern(marks(*both("toes", "sole"), "left:fingers"))
    assert result["pattern"] != "length_dependent"
    assert result["referral_question"] is True


def test_toes_on_one_side_reaching_the_knee_on_the_other_is_not_symmetric():
    result = recognise_pattern(
        marks("left:toes", "right:toes", "right:ankle", "right:lower_leg", "right:knee")
    )
    assert result["pattern"] != "length_dependent"
    assert result["referral_question"] is True


def test_empty_map_has_no_pattern():
    result = recognise_pattern([])
    assert result["pattern"] == "none"
    assert result["referral_question"] is False


def test_marks_at_intensity_zero_do_not_count():
    assert recognise_pattern(marks(*both("toes", "sole"), intensity=0))["pattern"] == "none"
    mixed = marks(*both("toes", "sole")) + marks("right:thigh", intensity=0)
    assert recognise_pattern(mixed)["pattern"] == "length_dependent"


# --- compare ---------------------------------------------------------------------------------------------
def test_compare_lists_new_resolved_and_changed_sensations():
    before = marks("left:toes", "right:toes") + marks("left:sole", sensation="burning", intensity=4)
    after = (
        marks("left:toes", intensity=3)
        + marks("right:toes")
        + marks("right:sole", sensation="tingling", intensity=2)
    )
    result = compare(before, after)
    assert result["new"] == [
        {"region": "sole", "side": "right", "sensation": "tingling", "before": None, "after": 2}
    ]
    assert result["resolved"] == [
        {"region": "sole", "side": "left", "sensation": "burning", "before": 4, "after": None}
    ]
    assert result["changed"] == [
        {"region": "toes", "side": "left", "sensation": "numbness", "before": 6, "after": 3}
    ]
    assert result["unchanged"] == 1


def test_a_sensation_dropping_to_zero_counts_as_resolved():
    result = compare(marks("left:toes"), marks("left:toes", intensity=0))
    assert [r["region"] for r in result["resolved"]] == ["toes"]
    assert result["changed"] == []


def test_symptoms_rising_two_leg_levels_ask_a_referral_question():
    before = marks(*both("toes", "sole"))
    after = marks(*both("toes", "sole", "ankle", "lower_leg"))
    result = compare(before, after)
    assert result["pattern_before"] == result["pattern_after"] == "length_dependent"
    assert result["leg_spread_levels"] == 2
    assert result["referral_question"] is True


def test_symptoms_rising_one_leg_level_do_not():
    result = compare(marks(*both("toes", "sole")), marks(*both("toes", "sole", "ankle")))
    assert result["leg_spread_levels"] == 1
    assert result["referral_question"] is False


def test_symptoms_receding_do_not_ask_a_referral_question():
    result = compare(marks(*both("toes", "ankle", "lower_leg")), marks(*both("toes")))
    assert result["leg_spread_levels"] < 0
    assert result["referral_question"] is False


def test_a_map_turning_asymmetric_asks_a_referral_question():
    result = compare(marks(*both("toes")), marks(*both("toes"), "right:cheek"))
    assert result["pattern_after"] == "asymmetric"
    assert result["referral_question"] is True


def test_identical_maps_show_no_change():
    result = compare(marks(*both("toes", "sole")), marks(*both("toes", "sole")))
    assert (result["new"], result["resolved"], result["changed"]) == ([], [], [])
    assert result["unchanged"] == 4
    assert result["referral_question"] is False


def test_everyday_names_and_both_sides_are_understood():
    marks, errors = validate_marks(
        [
            {"region": "Feet", "side": "both", "sensation": "numbness", "intensity": 6},
            {"region": "soles", "side": "Left", "sensation": "pins and needles", "intensity": 4},
            {"region": "hands", "side": "both", "sensation": "Tingling", "intensity": 3},
        ]
    )
    assert errors == {}
    assert {(m.region, m.side, m.sensation) for m in marks} == {
        ("foot", "left", "numbness"),
        ("foot", "right", "numbness"),
        ("sole", "left", "tingling"),
        ("hand", "left", "tingling"),
        ("hand", "right", "tingling"),
    }
    assert recognise_pattern(marks)["pattern"] == "length_dependent"


def test_an_unknown_region_lists_the_known_ones():
    _marks, errors = validate_marks(
        [{"region": "elbows?", "side": "left", "sensation": "pain", "intensity": 2}]
    )
    assert "toes" in errors["marks[0].region"] and "lower_leg" in errors["marks[0].region"]
