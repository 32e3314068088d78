"""Codes checked against the data they cite (issue 19 point 5).

- ICD-10-CM: each diagnosis code and its title against the CMS ICD-10-CM tabular list (April 2026 release, as
  shipped in simple-icd-10-cm).
- SNOMED CT diagnosis pairs: each identifier is well formed (a concept's partition) and never narrower than the
  diagnosis (`snomed_map`); E11.40 is no longer paired with 49455004. The diagnosis concepts come from the
  reference's list; no SNOMED CT release ships with NerveCare (it needs an affiliate licence), so their
  existence is not checked here.
- Body-map regions: each SNOMED CT code exists, with its display, in DICOM PS3.16's SNOMED CT subset as shipped
  in pydicom (pydicom.sr.codedict), the source the data file names.
"""

import pytest
import simple_icd_10_cm as icd
from pydicom.sr._concepts_dict import concepts

from nervecare.clients import bodymap
from nervecare.core.vocab import load_yaml

DIAGNOSES = load_yaml("clients/data/conditions.yaml")["diagnoses"]


@pytest.mark.parametrize("entry", DIAGNOSES, ids=lambda d: d["code"])
def test_each_icd10cm_code_exists_in_the_cms_release_with_its_title(entry):
    code = entry["icd10cm"]
    assert icd.is_valid_item(code), code
    assert icd.is_leaf(code), f"{code} is a category, not a billable code"
    assert icd.get_description(code) == entry["icd10cm_title"]


def test_the_invented_codes_the_reference_warns_about_do_not_exist():
    assert not icd.is_valid_item("G62.11")
    assert not icd.is_valid_item("G62.21")
    # The T-code the CIPN entry tells coders to pair with is real.
    assert icd.get_description("T45.1X5A").startswith("Adverse effect of antineoplastic")


@pytest.mark.parametrize("entry", DIAGNOSES, ids=lambda d: d["code"])
def test_each_snomed_pair_is_well_formed_and_never_narrower(entry):
    snomed = entry["snomed"]
    if not snomed:
        assert entry.get("snomed_note"), f"{entry['code']}: an empty SNOMED CT code says why"
        return
    assert snomed.isdigit() and 6 <= len(snomed) <= 18
    assert snomed[-3:-1] in {"00", "10"}, "a concept identifier (partition 00 or 10)"
    assert entry["snomed_map"] in {"equivalent", "broader"}
    if entry["snomed_map"] == "broader":
        assert entry.get("snomed_note")


def test_e11_40_is_no_longer_paired_with_polyneuropathy_due_to_diabetes():
    by_icd = {d["icd10cm"]: d for d in DIAGNOSES}
    assert by_icd["E11.40"]["snomed"] != "49455004"
    assert by_icd["E11.42"]["snomed"] == "713706002"  # polyneuropathy due to type 2 diabetes
    assert by_icd["E10.42"]["snomed"] == "713705003"  # ... type 1


def _dicom_snomed() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for by_code in concepts["SCT"].values():
        for code, (meaning, _cids) in by_code.items():
            names.setdefault(code, set()).add(meaning)
    return names


@pytest.mark.parametrize("region", bodymap.vocabulary()["regions"], ids=lambda r: r["code"])
def test_each_body_region_has_a_snomed_code_that_exists_in_dicom_ps3_16(region):
    known = _dicom_snomed()
    code = region["snomed"]
    assert code in known, f"{region['code']}: {code} is not in DICOM PS3.16's SNOMED CT subset"
    assert region["snomed_display"] in {m.removesuffix(" (body structure)") for m in known[code]}
    assert region["snomed_match"] in {"equivalent", "broader"}


def test_laterality_codes_exist_in_dicom_ps3_16():
    known = _dicom_snomed()
    for side, entry in bodymap.vocabulary()["laterality"].items():
        assert entry["snomed_display"] in known[entry["snomed"]], side


def test_fhir_procedure_body_sites_carry_the_snomed_coding():
    from nervecare.interop import codes
    from nervecare.interop.mapping.procedure import body_site

    site = body_site({"region": "sole", "side": "left"})
    assert site["coding"] == [{"system": codes.SNOMED, "code": "56459004", "display": "Foot"}]
    assert site["text"] == "Sole of foot, left"
    assert body_site({"region": "lower_back", "side": "midline"})["coding"][0]["code"] == "52612000"
