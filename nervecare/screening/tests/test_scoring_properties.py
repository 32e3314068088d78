"""Property-based tests of instrument scoring (Hypothesis): for any answer set, the engine's total is the one
the published rules give, stays within [0, max], and the interpretation follows the cut-off; any invalid
answer is refused with an error naming the item, never a crash.

The expected totals are written here from the published instruments (not read from the YAML), so a wrong
score or a wrong cut-off in a definition file fails these tests.
Examples per test: the Hypothesis profile (HYPOTHESIS_PROFILE=ci, the default here: 200; =dev: 1000)."""

import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nervecare.screening.instruments import ScoringError, get_definition, score

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

yes_no = st.sampled_from(["yes", "no"])


# --- MNSI history (Feldman 1994): 15 yes/no questions; 4 and 10 unscored; 7 and 13 reversed; >= 7 ----------


@given(st.lists(yes_no, min_size=15, max_size=15))
def test_mnsi_history_total_follows_the_published_rule(answers):
    given_answers = {str(i + 1): a for i, a in enumerate(answers)}
    expected = 0
    for number, answer in enumerate(answers, start=1):
        if number in (4, 10):
            continue  # not scored
        if number in (7, 13):
            expected += answer == "no"  # reversed: "no" is the abnormal answer
        else:
            expected += answer == "yes"
    result = score(get_definition("mnsi_history"), given_answers)
    assert result["total"] == expected
    assert 0 <= result["total"] <= result["max"] == 13
    assert result["item_scores"]["4"] == result["item_scores"]["10"] == "not scored"
    assert result["interpretation"]["positive"] is (expected >= 7)
    secondary = next(c for c in result["interpretation"]["cutoffs"] if not c["primary"])
    assert secondary["met"] is (expected >= 4)


# --- DN4 (Bouhassira 2005): 10 items, yes = 1, >= 4; the interview version (7 items) >= 3 -----------------


@pytest.mark.parametrize(("code", "items", "cutoff"), [("dn4", 10, 4), ("dn4_interview", 7, 3)])
@given(data=st.data())
def test_dn4_counts_the_yes_answers(code, items, cutoff, data):
    answers = data.draw(st.lists(yes_no, min_size=items, max_size=items))
    result = score(get_definition(code), {str(i + 1): a for i, a in enumerate(answers)})
    expected = answers.count("yes")
    assert result["total"] == expected and 0 <= expected <= result["max"] == items
    assert result["interpretation"]["positive"] is (expected >= cutoff)


# --- NRS (0-10, whole numbers) and PGIC (1-7, "much improved" or better = 1-2) ----------------------------


@pytest.mark.parametrize("code", ["nrs_pain", "nrs_numbness", "nrs_tingling"])
@given(value=st.integers(0, 10), as_text=st.booleans())
def test_nrs_total_is_the_rating_and_the_band_matches(code, value, as_text):
    item = get_definition(code).items[0].id
    result = score(get_definition(code), {item: str(value) if as_text else value})
    assert result["total"] == value
    band = result["interpretation"]["band"]
    assert band == (
        "None" if value == 0 else "Mild" if value <= 3 else "Moderate" if value <= 6 else "Severe"
    )


@given(value=st.integers(1, 7))
def test_pgic_total_is_the_answer_and_1_or_2_means_improved(value):
    result = score(get_definition("pgic"), {"pgic": value})
    assert result["total"] == value
    assert result["interpretation"]["positive"] is (value <= 2)


# --- MNSI examination: per foot 0 / 0.5 / 1; abnormal at >= 2.5 -------------------------------------------

EXAM_SCORES = {
    "appearance": {"normal": 0, "abnormal": 1},
    "ulceration": {"absent": 0, "present": 1},
    "ankle_reflex": {"present": 0, "reinforcement": Decimal("0.5"), "absent": 1},
    "vibration": {"present": 0, "decreased": Decimal("0.5"), "absent": 1},
}


@given(
    st.fixed_dictionaries(
        {
            f"{side}.{part}": st.sampled_from(sorted(opts))
            for side in ("right", "left")
            for part, opts in EXAM_SCORES.items()
        }
    )
)
def test_mnsi_exam_total_is_the_sum_of_both_feet(answers):
    expected = sum(Decimal(EXAM_SCORES[key.split(".")[1]][value]) for key, value in answers.items())
    result = score(get_definition("mnsi_exam"), answers)
    assert result["total"] == expected and 0 <= expected <= result["max"] == 8
    assert result["interpretation"]["positive"] is (expected >= Decimal("2.5"))


# --- Invalid answers: a named error, never a crash ----------------------------------------------------------

CODES = ["mnsi_history", "dn4", "dn4_interview", "mnsi_exam", "mnsi_exam_monofilament", "nrs_pain", "pgic"]
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(code=st.sampled_from(CODES), data=st.data())
def test_any_answers_are_scored_or_refused_with_the_item_named(code, data):
    definition = get_definition(code)
    ids = [item.id for item in definition.items]
    answers = data.draw(
        st.dictionaries(
            st.sampled_from(ids) | st.text(max_size=6), junk | st.sampled_from(["yes", "no", "1", "7"])
        )
    )
    try:
        result = score(definition, answers)
    except ScoringError as exc:
        assert exc.errors, "an error without a field"
        for field, message in exc.errors.items():
            assert field.startswith("answers.") and message
        missing = [i for i in ids if answers.get(i) in (None, "")]
        for item_id in missing:
            assert exc.errors[f"answers.{item_id}"] == "missing answer"
        return
    assert set(result["answers"]) == set(ids)
    assert Decimal(0) <= result["total"] <= result["max"]


@given(answers=st.one_of(st.none(), st.lists(st.integers()), st.text(), st.integers()))
def test_answers_that_are_not_an_object_are_refused(answers):
    with pytest.raises(ScoringError) as exc:
        score(get_definition("dn4"), answers)
    assert exc.value.errors == {"answers": "must be an object mapping item ids to answers"}
