"""The items file is validated at start-up: a bad file names the item and the field."""

from pathlib import Path

import pytest

from nervecare.selfcare.library import ITEMS_FILE, LibraryError, library, parse

FLAGS = frozenset({"lops", "suspected_dvt"})
GOOD = """
version: "1"
items:
  - code: foot_inspection
    title: Look at both feet
    instructions: Look at the top, the sole and between the toes every day.
    illustration: {file: foot_inspection.svg, alt: "A foot", licence: CC0-1.0, author: NerveCare}
    days_per_week: 7
    times_per_day: 1
    minutes: 3
    body_areas: [feet]
    contraindicated_by: [{flag: lops, reason: "No heat on a foot without protective sensation."}]
    evidence: Guideline recommendation.
    source: IWGDF 2023 prevention guideline.
"""


def test_the_shipped_library_is_valid_and_cites_a_source_for_every_item():
    lib = library()
    assert len(lib.items) >= 10
    for item in lib.items.values():
        assert item.source and item.illustration.licence == "CC0-1.0"
    # The heat items are refused with loss of protective sensation (IWGDF 2023: no heat on the feet).
    for code in ("warm_foot_soak", "warm_pack_feet"):
        assert "lops" in {c.flag for c in lib.items[code].contraindicated_by}


def test_every_flag_code_is_a_rule_of_the_safety_rules():
    from nervecare.screening.safety import ruleset

    codes = {r.id for r in ruleset().rules}
    for item in library().items.values():
        assert {c.flag for c in item.contraindicated_by} <= codes


def test_a_good_file_parses():
    lib = parse(GOOD, flag_codes=FLAGS)
    assert lib.items["foot_inspection"].frequency == "every day"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            ("flag: lops", "flag: no_such_flag"),
            "contraindicated_by.flag: unknown safety-flag code 'no_such_flag'",
        ),
        (("days_per_week: 7", "days_per_week: 9"), "item foot_inspection: days_per_week"),
        (("body_areas: [feet]", "body_areas: [elbow]"), "item foot_inspection: body_areas"),
        (("foot_inspection.svg", "missing.svg"), "illustration.file: missing.svg not found"),
        (("    source: IWGDF 2023 prevention guideline.\n", ""), "item foot_inspection: source"),
        (("licence: CC0-1.0, ", ""), "illustration.licence"),
    ],
)
def test_a_bad_file_is_refused_naming_the_item_and_field(change, named):
    old, new = change
    with pytest.raises(LibraryError) as exc:
        parse(GOOD.replace(old, new), flag_codes=FLAGS)
    assert named in str(exc.value)


def test_a_duplicate_code_and_broken_yaml_are_refused():
    items = GOOD.split("items:\n")[1]
    with pytest.raises(LibraryError, match="used twice"):
        parse(GOOD + items, flag_codes=FLAGS)
    with pytest.raises(LibraryError, match="not valid YAML"):
        parse("version: [1\n", flag_codes=FLAGS)
    with pytest.raises(LibraryError, match="list of 'items'"):
        parse("version: 1\n", flag_codes=FLAGS)


def test_the_app_refuses_to_start_with_a_bad_file(tmp_path: Path, monkeypatch):
    """ready() calls library(): point it at a bad copy and the loader raises (start-up stops)."""
    from nervecare.selfcare import library as module

    bad = tmp_path / "items.yaml"
    bad.write_text(ITEMS_FILE.read_text().replace("days_per_week: 3", "days_per_week: 0", 1))
    monkeypatch.setattr(module, "ITEMS_FILE", bad)
    module.library.cache_clear()
    try:
        with pytest.raises(LibraryError, match="days_per_week"):
            from django.apps import apps

            apps.get_app_config("selfcare").ready()
    finally:
        monkeypatch.undo()
        module.library.cache_clear()
        library()
