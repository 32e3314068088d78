"""The 8-minute rule, against the table CMS publishes (Medicare Claims Processing Manual, Chapter 5, §20.2)."""

import pytest

from nervecare.billing.rules import icd10cm_for, units_for_minutes

# The published table: units -> (from, through) minutes.
PUBLISHED = {
    1: (8, 22),
    2: (23, 37),
    3: (38, 52),
    4: (53, 67),
    5: (68, 82),
    6: (83, 97),
    7: (98, 112),
    8: (113, 127),
}


@pytest.mark.parametrize("units,bounds", PUBLISHED.items())
def test_each_row_of_the_published_table(units, bounds):
    low, high = bounds
    assert units_for_minutes(low) == units
    assert units_for_minutes(high) == units
    assert units_for_minutes(low - 1) == units - 1


def test_under_eight_minutes_bills_nothing_and_beyond_the_table_the_pattern_goes_on():
    assert [units_for_minutes(m) for m in (0, 1, 7)] == [0, 0, 0]
    assert units_for_minutes(30) == 2 and units_for_minutes(60) == 4 and units_for_minutes(90) == 6
    assert units_for_minutes(128) == 9 and units_for_minutes(142) == 9 and units_for_minutes(143) == 10


def test_diagnosis_codes_come_from_the_conditions_vocabulary():
    assert icd10cm_for("diabetic_polyneuropathy_t2") == (
        "E11.42",
        "Type 2 diabetes with diabetic polyneuropathy",
    )
    assert icd10cm_for("cipn")[0] == "G62.0"
    assert icd10cm_for("no_such_code") is None
