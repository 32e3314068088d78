"""The generic scoring engine against every shipped instrument definition.

Expected values are worked out here from the published rules in clinical-reference.md §1, never copied from
the engine's output.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nervecare.screening.instruments import (
    InstrumentDefinition,
    ScoringError,
    all_definitions,
    get_definition,
    score,
)

# --- MNSI history: the published scoring rule, written out independently of the YAML ---------------------
MNSI_ITEMS = [str(i) for i in range(1, 16)]
YES_SCORES = {"1", "2", "3", "5", "6", "8", "9", "11", "12", "14", "15"}
NO_SCORES = {"7", "13"}  # reversed: "no" scores 1
UNSCORED = {"4", "10"}


def published_mnsi_total(answers: dict[str, str]) -> int:
    return sum(
        1
        for item, answer in answers.items()
        if (item in YES_SCORES and answer == "yes") or (item in NO_SCORES and answer == "no")
    )


def mnsi_answers(**overrides: str) -> dict[str, str]:
    """A history scoring 0: "no" to every symptom, "yes" to the reversed items 7 and 13."""
    answers = dict.fromkeys(MNSI_ITEMS, "no") | {"7": "yes", "13": "yes"}
    return answers | {k.removeprefix("q"): v for k, v in overrides.items()}


def mnsi_with_scoring_items(n: int) -> dict[str, str]:
    """A history with exactly `n` scoring answers (yes-items first, then the reversed ones)."""
    order = ["1", "2", "3", "5", "6", "8", "9", "11", "12", "14", "15", "7", "13"]
    answers = mnsi_answers()
    for item in order[:n]:
        answers[item] = "no" if item in NO_SCORES else "yes"
    return answers


def mnsi_history(answers):
    return score(get_definition("mnsi_history"), answers)


def cutoff(result, cutoff_id):
    return next(c for c in result["interpretation"]["cutoffs"] if c["id"] == cutoff_id)


def test_every_instrument_in_the_reference_ships_with_its_published_maximum():
    maxima = {code: d.scoring.max for code, d in all_definitions().items()}
    assert maxima == {
        "mnsi_history": 13,
        "mnsi_exam": 8,
        "mnsi_exam_monofilament": 10,
        "dn4": 10,
        "dn4_interview": 7,
        "nrs_pain": 10,
        "nrs_numbness": 10,
        "nrs_tingling": 10,
        "pgic": 7,
        # Issue 21 (clinical-reference.md section 7): PHQ-2 and GAD-2 as published (0-6); local counts and
        # ratings with their own ranges.
        "phq2": 6,
        "gad2": 6,
        "cramps_week": 99,
        "headache_days": 30,
        "nrs_joint_pain": 10,
        "nrs_sleep_quality": 10,
    }


def test_every_definition_names_its_citation_and_licence():
    for code, definition in all_definitions().items():
        assert definition.citation.strip(), code
        assert definition.licence.strip(), code
        for c in definition.cutoffs:
            assert c.source.strip(), f"{code}.{c.id}"


def test_mnsi_history_item_ids_are_the_published_numbers_and_4_and_10_are_unscored():
    definition = get_definition("mnsi_history")
    assert [i.id for i in definition.items] == MNSI_ITEMS
    assert {i.id for i in definition.items if not i.scored} == UNSCORED


@pytest.mark.parametrize("item", sorted(YES_SCORES, key=int))
def test_mnsi_history_yes_scores_one_on_each_forward_item(item):
    result = mnsi_history(mnsi_answers(**{f"q{item}": "yes"}))
    assert result["total"] == 1
    assert result["item_scores"][item] == "1"


@pytest.mark.parametrize("item", ["7", "13"])
def test_mnsi_history_no_scores_one_on_reversed_items(item):
    result = mnsi_history(mnsi_answers(**{f"q{item}": "no"}))
    assert result["total"] == 1
    assert result["item_scores"][item] == "1"


@pytest.mark.parametrize("item", ["4", "10"])
def test_mnsi_history_items_4_and_10_never_count(item):
    for answer in ("yes", "no"):
        result = mnsi_history(mnsi_answers(**{f"q{item}": answer}))
        assert result["total"] == 0
        assert result["item_scores"][item] == "not scored"
        assert result["answers"][item] == answer  # still stored


def test_engine_never_counts_an_unscored_item_even_if_its_options_carry_points():
    """The engine, not only the data, keeps items 4 and 10 out of the total."""
    definition = InstrumentDefinition.model_validate(
        {
            "code": "toy",
            "version": "1",
            "title": "Toy",
            "short_title": "Toy",
            "kind": "questionnaire",
            "respondent": "client",
            "citation": "test",
            "licence": "test",
            "answer_sets": {
                "yes_no": [
                    {"value": "yes", "label": "Yes", "score": 1},
                    {"value": "no", "label": "No", "score": 0},
                ]
            },
            "items": [
                {"id": "1", "text": "Scored", "answers": "yes_no"},
                {"id": "2", "text": "Not scored", "answers": "yes_no", "scored": False},
            ],
            "scoring": {"method": "sum", "min": 0, "max": 1},
        }
    )
    result = score(definition, {"1": "yes", "2": "yes"})
    assert result["total"] == 1
    assert result["item_scores"]["2"] == "not scored"


def test_definition_whose_items_do_not_add_up_to_its_maximum_is_refused():
    with pytest.raises(ValueError, match="add up to"):
        InstrumentDefinition.model_validate(
            {
                "code": "toy",
                "version": "1",
                "title": "Toy",
                "short_title": "Toy",
                "kind": "questionnaire",
                "respondent": "client",
                "citation": "test",
                "licence": "test",
                "answer_sets": {"yes_no": [{"value": "yes", "label": "Yes", "score": 1}]},
                "items": [{"id": str(i), "text": "Q", "answers": "yes_no"} for i in range(1, 16)],
                "scoring": {"method": "sum", "min": 0, "max": 13},
            }
        )


def test_mnsi_history_rejects_the_score_every_yes_as_one_reprint():
    """Some reprints say "score each positive response as 1": wrong for items 4, 7, 10 and 13."""
    all_yes = dict.fromkeys(MNSI_ITEMS, "yes")
    result = mnsi_history(all_yes)
    naive = 15
    assert result["total"] == 11 != naive
    # "yes" to only the four trap items is a perfectly normal history.
    traps_yes = mnsi_answers(q4="yes", q10="yes", q7="yes", q13="yes")
    assert mnsi_history(traps_yes)["total"] == 0


def test_mnsi_history_all_no_scores_the_two_reversed_items():
    result = mnsi_history(dict.fromkeys(MNSI_ITEMS, "no"))
    assert result["total"] == 2


def test_mnsi_history_worst_possible_answers_reach_the_maximum_13():
    worst = dict.fromkeys(MNSI_ITEMS, "yes") | {"7": "no", "13": "no"}
    result = mnsi_history(worst)
    assert result["total"] == 13 == result["max"]
    assert result["interpretation"]["positive"] is True


def test_mnsi_history_7_is_abnormal_on_the_original_primary_cutoff():
    result = mnsi_history(mnsi_with_scoring_items(7))
    assert result["total"] == 7
    assert result["interpretation"]["positive"] is True
    primary = cutoff(result, "feldman1994")
    assert primary["primary"] is True and primary["confirmed"] is True and primary["met"] is True


def test_mnsi_history_6_is_below_the_primary_cutoff_but_meets_herman_2012_which_is_unconfirmed():
    result = mnsi_history(mnsi_with_scoring_items(6))
    assert result["total"] == 6
    assert result["interpretation"]["positive"] is False
    herman = cutoff(result, "herman2012")
    assert herman["met"] is True
    assert herman["primary"] is False
    assert herman["confirmed"] is False  # shown, never presented as settled
    assert herman["rule"] == ">= 4"


def test_mnsi_history_4_meets_herman_3_does_not():
    assert cutoff(mnsi_history(mnsi_with_scoring_items(4)), "herman2012")["met"] is True
    assert cutoff(mnsi_history(mnsi_with_scoring_items(3)), "herman2012")["met"] is False


def test_mnsi_history_shows_both_cutoffs_with_sources():
    result = mnsi_history(mnsi_answers())
    cutoffs = {c["id"]: c for c in result["interpretation"]["cutoffs"]}
    assert set(cutoffs) == {"feldman1994", "herman2012"}
    assert all(c["source"] for c in cutoffs.values())
    assert [c["id"] for c in cutoffs.values() if c["primary"]] == ["feldman1994"]


mnsi_answer_sets = st.fixed_dictionaries({item: st.sampled_from(["yes", "no"]) for item in MNSI_ITEMS})


@given(answers=mnsi_answer_sets)
@settings(max_examples=300, deadline=None)
def test_mnsi_history_total_is_the_published_count_for_any_answers(answers):
    result = mnsi_history(answers)
    expected = published_mnsi_total(answers)
    assert result["total"] == expected
    assert 0 <= result["total"] <= 13
    assert result["interpretation"]["positive"] is (expected >= 7)
    assert cutoff(result, "herman2012")["met"] is (expected >= 4)


def _valid_answers_strategy(code):
    definition = get_definition(code)
    per_item = {}
    for item in definition.items:
        if item.answer_type == "integer":
            per_item[item.id] = st.integers(min_value=item.min, max_value=item.max)
        else:
            per_item[item.id] = st.sampled_from([o.value for o in item.options])
    return st.fixed_dictionaries(per_item)


@pytest.mark.parametrize("code", sorted(all_definitions()))
def test_every_instrument_total_stays_within_its_range(code):
    definition = get_definition(code)

    @given(answers=_valid_answers_strategy(code))
    @settings(max_examples=100, deadline=None)
    def check(answers):
        result = score(definition, answers)
        assert definition.scoring.min <= result["total"] <= definition.scoring.max

    check()


# --- MNSI physical examination ---------------------------------------------------------------------------
SIDES = ("right", "left")
EXAM_POINTS = {
    "appearance": {"normal": 0, "abnormal": 1},
    "ulceration": {"absent": 0, "present": 1},
    "ankle_reflex": {"present": 0, "reinforcement": Decimal("0.5"), "absent": 1},
    "vibration": {"present": 0, "decreased": Decimal("0.5"), "absent": 1},
    "monofilament": {"normal": 0, "reduced": Decimal("0.5"), "absent": 1},
}


def exam_answers(monofilament: bool = False, **findings: str) -> dict[str, str]:
    """A normal exam of both feet, with `right_vibration="decreased"` style overrides."""
    items = ["appearance", "ulceration", "ankle_reflex", "vibration"] + (
        ["monofilament"] if monofilament else []
    )
    normal = {
        "appearance": "normal",
        "ulceration": "absent",
        "ankle_reflex": "present",
        "vibration": "present",
        "monofilament": "normal",
    }
    answers = {f"{side}.{item}": normal[item] for side in SIDES for item in items}
    for key, value in findings.items():
        side, item = key.split("_", 1)
        answers[f"{side}.{item}"] = value
    return answers


def exam(answers, monofilament=False):
    return score(get_definition("mnsi_exam_monofilament" if monofilament else "mnsi_exam"), answers)


@pytest.mark.parametrize("monofilament", [False, True])
def test_mnsi_exam_normal_feet_score_zero(monofilament):
    result = exam(exam_answers(monofilament), monofilament)
    assert result["total"] == 0
    assert result["interpretation"]["positive"] is False


@pytest.mark.parametrize(
    ("monofilament", "maximum"), [(False, Decimal(8)), (True, Decimal(10))], ids=["without", "with"]
)
def test_mnsi_exam_worst_findings_reach_the_maximum(monofilament, maximum):
    worst = {
        "appearance": "abnormal",
        "ulceration": "present",
        "ankle_reflex": "absent",
        "vibration": "absent",
        "monofilament": "absent",
    }
    answers = {key: worst[key.split(".")[1]] for key in exam_answers(monofilament)}
    result = exam(answers, monofilament)
    assert result["total"] == maximum == result["max"]


@pytest.mark.parametrize(
    ("item", "value", "points"),
    [(item, value, points) for item, values in EXAM_POINTS.items() for value, points in values.items()],
)
def test_mnsi_exam_each_finding_scores_its_published_points_per_foot(item, value, points):
    monofilament = item == "monofilament"
    for side in SIDES:
        result = exam(exam_answers(monofilament, **{f"{side}_{item}": value}), monofilament)
        assert result["total"] == Decimal(points)


def test_mnsi_exam_exactly_2_5_is_abnormal():
    answers = exam_answers(
        right_ankle_reflex="absent", left_ankle_reflex="absent", right_vibration="decreased"
    )
    result = exam(answers)
    assert result["total"] == Decimal("2.5")
    assert result["interpretation"]["positive"] is True
    assert cutoff(result, "abnormal")["rule"] == ">= 2.5"


def test_mnsi_exam_2_0_is_not_abnormal():
    answers = exam_answers(
        right_vibration="decreased", left_vibration="decreased", left_ankle_reflex="absent"
    )
    result = exam(answers)
    assert result["total"] == Decimal("2.0")
    assert result["interpretation"]["positive"] is False


def test_mnsi_exam_with_monofilament_counts_half_points_toward_2_5():
    answers = exam_answers(
        True,
        right_monofilament="reduced",
        left_monofilament="reduced",
        right_vibration="decreased",
        left_vibration="decreased",
        right_ulceration="present",
    )
    result = exam(answers, monofilament=True)
    assert result["total"] == Decimal("3.0")
    assert result["interpretation"]["positive"] is True


def test_mnsi_exam_versions_are_stored_apart():
    without, with_ = get_definition("mnsi_exam"), get_definition("mnsi_exam_monofilament")
    assert (without.family, with_.family) == ("mnsi_exam", "mnsi_exam")
    assert without.variant != with_.variant
    # A monofilament answer is not part of the version without it.
    with pytest.raises(ScoringError) as exc:
        exam(exam_answers() | {"right.monofilament": "absent"})
    assert "answers.right.monofilament" in exc.value.errors
    # And the version with it needs both monofilament answers.
    with pytest.raises(ScoringError) as exc:
        exam(exam_answers(), monofilament=True)
    assert {"answers.right.monofilament", "answers.left.monofilament"} <= set(exc.value.errors)


def test_mnsi_exam_rejects_a_score_instead_of_a_finding():
    with pytest.raises(ScoringError) as exc:
        exam(exam_answers() | {"left.vibration": "0.5"})
    assert set(exc.value.errors) == {"answers.left.vibration"}


# --- DN4 and DN4-interview -------------------------------------------------------------------------------
def yes_to(count: int, n_items: int) -> dict[str, str]:
    return {str(i): ("yes" if i <= count else "no") for i in range(1, n_items + 1)}


@pytest.mark.parametrize(("yes", "positive"), [(0, False), (3, False), (4, True), (10, True)])
def test_dn4_is_positive_from_4_of_10(yes, positive):
    result = score(get_definition("dn4"), yes_to(yes, 10))
    assert result["total"] == yes
    assert result["interpretation"]["positive"] is positive


def test_dn4_follows_the_original_4_not_the_ninds_greater_than_4():
    result = score(
        get_definition("dn4"),
        {str(i): "no" for i in range(1, 11)} | {"2": "yes", "6": "yes", "8": "yes", "10": "yes"},
    )
    assert result["total"] == 4
    assert result["interpretation"]["positive"] is True
    assert "NINDS" in get_definition("dn4").notes


def test_dn4_has_seven_interview_and_three_examination_items():
    sections = {s.id: s.items for s in get_definition("dn4").sections}
    assert sections == {
        "interview": ["1", "2", "3", "4", "5", "6", "7"],
        "examination": ["8", "9", "10"],
    }


def test_dn4_interview_has_items_1_to_7_only():
    definition = get_definition("dn4_interview")
    assert [i.id for i in definition.items] == [str(i) for i in range(1, 8)]
    with pytest.raises(ScoringError) as exc:
        score(definition, yes_to(0, 7) | {"8": "yes"})
    assert "answers.8" in exc.value.errors


def test_dn4_interview_3_meets_the_commonly_quoted_cutoff_which_is_unconfirmed():
    result = score(get_definition("dn4_interview"), yes_to(3, 7))
    assert result["total"] == 3
    assert result["interpretation"]["positive"] is True
    primary = cutoff(result, "commonly_quoted")
    assert primary["primary"] is True and primary["confirmed"] is False
    assert cutoff(result, "dutch_validation")["met"] is False


def test_dn4_interview_4_meets_the_dutch_cutoff_too():
    result = score(get_definition("dn4_interview"), yes_to(4, 7))
    dutch = cutoff(result, "dutch_validation")
    assert dutch["met"] is True and dutch["confirmed"] is False
    assert "74%" in dutch["source"] and "79%" in dutch["source"]


def test_dn4_interview_2_is_negative():
    result = score(get_definition("dn4_interview"), yes_to(2, 7))
    assert result["interpretation"]["positive"] is False


# --- 0-10 numeric rating scales --------------------------------------------------------------------------
NRS = [("nrs_pain", "pain"), ("nrs_numbness", "numbness"), ("nrs_tingling", "tingling")]


@pytest.mark.parametrize(("code", "item"), NRS)
@pytest.mark.parametrize("value", [0, 4, 10])
def test_nrs_accepts_whole_numbers_0_to_10(code, item, value):
    result = score(get_definition(code), {item: value})
    assert result["total"] == value
    assert result["answers"][item] == value


@pytest.mark.parametrize(("code", "item"), NRS)
@pytest.mark.parametrize("bad", [11, -1, "abc", 7.5, "7.5", True, False, [3]])
def test_nrs_rejects_anything_but_a_whole_number_0_to_10_naming_the_item(code, item, bad):
    with pytest.raises(ScoringError) as exc:
        score(get_definition(code), {item: bad})
    assert list(exc.value.errors) == [f"answers.{item}"]


def test_nrs_form_input_as_text_is_read_as_the_number():
    result = score(get_definition("nrs_pain"), {"pain": "7"})
    assert result["total"] == 7 and result["answers"]["pain"] == 7


def test_only_the_pain_nrs_carries_the_loinc_code():
    assert get_definition("nrs_pain").loinc == "72514-3"
    assert get_definition("nrs_numbness").loinc is None
    assert get_definition("nrs_tingling").loinc is None


# --- PGIC ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("answer", "responder"), [(1, True), (2, True), (3, False), (4, False), (7, False)])
def test_pgic_responder_is_much_or_very_much_improved(answer, responder):
    result = score(get_definition("pgic"), {"pgic": answer})
    assert result["interpretation"]["positive"] is responder


def test_pgic_summary_names_the_chosen_answer():
    assert score(get_definition("pgic"), {"pgic": 2})["interpretation"]["summary"].startswith("Much improved")
    assert score(get_definition("pgic"), {"pgic": 4})["interpretation"]["summary"].startswith("No change")


@pytest.mark.parametrize("bad", [0, 8, "much improved", True])
def test_pgic_rejects_answers_off_the_seven_point_scale(bad):
    with pytest.raises(ScoringError) as exc:
        score(get_definition("pgic"), {"pgic": bad})
    assert list(exc.value.errors) == ["answers.pgic"]


# --- Errors ----------------------------------------------------------------------------------------------
def test_missing_answer_is_reported_under_its_item():
    answers = mnsi_answers()
    del answers["7"]
    with pytest.raises(ScoringError) as exc:
        mnsi_history(answers)
    assert exc.value.errors == {"answers.7": "missing answer"}


@pytest.mark.parametrize("blank", [None, ""])
def test_blank_answer_counts_as_missing(blank):
    with pytest.raises(ScoringError) as exc:
        mnsi_history(mnsi_answers(q13=blank))
    assert set(exc.value.errors) == {"answers.13"}


def test_unknown_item_is_reported_and_nothing_is_scored():
    with pytest.raises(ScoringError) as exc:
        mnsi_history(mnsi_answers() | {"16": "yes"})
    assert set(exc.value.errors) == {"answers.16"}


def test_every_problem_is_reported_at_once():
    answers = mnsi_answers(q3="maybe") | {"99": "yes"}
    del answers["12"]
    with pytest.raises(ScoringError) as exc:
        mnsi_history(answers)
    assert set(exc.value.errors) == {"answers.3", "answers.12", "answers.99"}


def test_empty_answers_report_every_item_missing():
    with pytest.raises(ScoringError) as exc:
        mnsi_history({})
    assert set(exc.value.errors) == {f"answers.{i}" for i in MNSI_ITEMS}


def test_answers_must_be_a_mapping():
    with pytest.raises(ScoringError) as exc:
        mnsi_history(["yes"] * 15)
    assert "answers" in exc.value.errors


def test_boolean_is_not_a_yes():
    with pytest.raises(ScoringError) as exc:
        mnsi_history(mnsi_answers(q1=True))
    assert set(exc.value.errors) == {"answers.1"}


def test_unknown_instrument_is_a_scoring_error():
    with pytest.raises(ScoringError) as exc:
        get_definition("mnsi_history_v9")
    assert "instrument" in exc.value.errors
