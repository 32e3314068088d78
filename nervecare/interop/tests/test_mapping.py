"""The FHIR mapping: every resource type NerveCare emits validates against FHIR R4, with the right codes."""

import datetime
from collections import Counter

import pytest
from django.db.models import Q

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
from nervecare.interop import codes, mapping
from nervecare.interop.selectors import RESOURCE_TYPES, scope_for
from nervecare.interop.tests.conftest import fhir_valid
from nervecare.screening.instruments import all_definitions
from nervecare.visits.selectors import current_values

pytestmark = pytest.mark.django_db


def everything(user):
    scope = scope_for(user, "https://care.example.org")
    return {
        name: [r for s in rtype.sources for obj in s.rows(scope, Q()) for r in s.to_fhir(obj, scope)]
        for name, rtype in RESOURCE_TYPES.items()
    }


def by_id(resources):
    return {r["id"]: r for r in resources}


def codings(concept):
    return {(c["system"], c["code"]) for c in concept.get("coding", [])}


def test_every_resource_type_is_emitted_and_validates(record, therapist_user):
    resources = everything(therapist_user)

    assert {name for name, found in resources.items() if found} == set(RESOURCE_TYPES)
    practitioner = f"Practitioner/{therapist_user.therapist.pk}"
    assert all(r["author"]["reference"] == practitioner for r in resources["QuestionnaireResponse"])
    for found in resources.values():
        for resource in found:
            fhir_valid(resource)
        assert len({r["id"] for r in found}) == len(found)  # stable, unique ids


def test_patient(record, therapist_user):
    patient = fhir_valid(mapping.patient(record.client))

    assert patient["id"] == str(record.client.pk)
    assert patient["name"][0]["family"] == "Lopez" and patient["name"][0]["given"] == ["Maria"]
    assert patient["birthDate"] == "1958-03-14"
    assert {(t["system"], t["value"]) for t in patient["telecom"]} == {
        ("phone", "+44 20 7946 0000"),
        ("email", "maria@example.org"),
    }
    assert patient["identifier"][0]["system"] == codes.SID_CLIENT
    assert patient["managingOrganization"] == {"reference": f"Organization/{record.client.clinic_id}"}
    assert patient["contact"][0]["relationship"][0]["coding"][0]["code"] == "C"
    extensions = {e["url"].rsplit("/", 1)[1]: e["valueString"] for e in patient["extension"]}
    assert extensions["referring-clinician"] == "Dr Ana Silva"


def test_condition_carries_snomed_and_icd10cm_codes(record):
    diabetic, cipn = (fhir_valid(mapping.condition(c)) for c in record.conditions)

    assert {(codes.SNOMED, "713706002"), (codes.ICD10CM, "E11.42")} <= codings(diabetic["code"])
    assert diabetic["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert diabetic["onsetDateTime"] == "2019-05-01"
    # No named diagnosis: coded from type and cause (the data file's defaults).
    assert {(codes.SNOMED, "7339009"), (codes.ICD10CM, "G62.0")} <= codings(cipn["code"])
    assert cipn["verificationStatus"]["coding"][0]["code"] == "unconfirmed"
    agent = next(e for e in cipn["extension"] if e["url"].endswith("chemotherapy-agent"))
    assert agent["valueString"] == "oxaliplatin"
    assert diabetic["evidence"][0]["detail"] == [
        {"reference": f"Observation/cond-{record.conditions[0].pk}-{s}"}
        for s in ("numbness", "pain", "tingling")
    ]


@pytest.mark.parametrize(
    ("neuropathy_type", "cause", "snomed", "icd"),
    [
        ("peripheral", "diabetes_t1", "713705003", "E10.42"),
        ("peripheral", "alcohol", "302226006", "G62.9"),
        ("focal", "injury", "386033004", "G62.9"),
        ("cranial", "unknown", "386033004", "G62.9"),
    ],
)
def test_condition_defaults_by_type_and_cause(clinic, neuropathy_type, cause, snomed, icd):
    condition = ConditionFactory(client=ClientFactory(clinic=clinic), type=neuropathy_type, cause=cause)

    resource = fhir_valid(mapping.condition(condition))

    assert {(codes.SNOMED, snomed), (codes.ICD10CM, icd)} <= codings(resource["code"])


def test_every_diagnosis_code_maps(clinic):
    client = ClientFactory(clinic=clinic)
    for code, entry in codes.diagnoses().items():
        condition = ConditionFactory(client=client, diagnosis_code=code)
        resource = fhir_valid(mapping.condition(condition))
        if entry["snomed"]:
            assert (codes.SNOMED, entry["snomed"]) in codings(resource["code"])
        else:
            # No equivalent or broader concept (E11.40, issue 19 point 5): no SNOMED CT coding at all.
            assert not any(system == codes.SNOMED for system, _code in codings(resource["code"]))
        assert (codes.ICD10CM, entry["icd10cm"]) in codings(resource["code"])


def test_questionnaires_mirror_the_instrument_definitions():
    for code, definition in all_definitions().items():
        q = fhir_valid(mapping.questionnaire(definition))
        leaves = [i for item in q["item"] for i in (item.get("item") or [item])]
        assert [i["linkId"] for i in leaves if i["type"] != "group"] == [
            i for s in definition.sections for i in s.items
        ] + [i.id for i in definition.items if not any(i.id in s.items for s in definition.sections)], code
        assert q["url"].endswith(f"/Questionnaire/{code}") and q["version"] == definition.version
    mnsi = mapping.questionnaire(all_definitions()["mnsi_history"])
    assert len(mnsi["item"]) == 15
    first = mnsi["item"][0]["answerOption"][0]["valueCoding"]
    assert first["code"] == "yes" and first["extension"][0]["valueDecimal"] == 1
    assert mapping.questionnaire(all_definitions()["nrs_pain"])["code"] == [
        {"system": codes.LOINC, "code": "72514-3"}
    ]


def test_questionnaire_response_answers_link_to_the_questionnaire(record, therapist_user):
    for code, response in record.responses.items():
        definition = all_definitions()[code]
        qr = fhir_valid(mapping.questionnaire_response(response, definition, therapist_user.therapist))
        q = mapping.questionnaire(definition)
        q_ids = {i["linkId"] for item in q["item"] for i in [item, *(item.get("item") or [])]}
        qr_ids = {i["linkId"] for item in qr["item"] for i in [item, *(item.get("item") or [])]}
        assert qr_ids <= q_ids
        assert qr["questionnaire"] == f"{q['url']}|{definition.version}"
        assert qr["author"]["reference"] == f"Practitioner/{record.past.therapist_id}"


def test_observations_use_loinc_for_pain_and_local_codes_otherwise(record):
    pain = fhir_valid(
        mapping.observation_for_response(record.responses["nrs_pain"], all_definitions()["nrs_pain"])
    )
    numbness = fhir_valid(
        mapping.observation_for_response(record.responses["nrs_numbness"], all_definitions()["nrs_numbness"])
    )
    mnsi = fhir_valid(
        mapping.observation_for_response(record.responses["mnsi_history"], all_definitions()["mnsi_history"])
    )

    assert (codes.LOINC, "72514-3") in codings(pain["code"])
    assert pain["valueQuantity"]["value"] == 6
    assert codings(numbness["code"]) == {(codes.CS_OBSERVATION, "nrs_numbness")}
    assert codings(mnsi["code"]) == {(codes.CS_OBSERVATION, "mnsi_history")}
    assert mnsi["valueQuantity"]["value"] == 11  # "yes" to all: items 7 and 13 score on "no"
    assert mnsi["interpretation"][0]["coding"][0]["code"] == "POS"
    assert mnsi["derivedFrom"] == [
        {"reference": f"QuestionnaireResponse/{record.responses['mnsi_history'].pk}"}
    ]
    exam = mapping.observation_for_response(record.responses["mnsi_exam"], all_definitions()["mnsi_exam"])
    assert exam["valueQuantity"]["value"] == 2.0 or exam["valueQuantity"]["value"] == 2
    assert exam["category"][0]["coding"][0]["code"] == "exam"


def test_session_ratings_are_observations_with_amendments_applied(record):
    observations = by_id(mapping.observations_for_note(record.note, current_values(record.note)))
    for obs in observations.values():
        fhir_valid(obs)

    n = record.note.pk
    assert set(observations) == {
        f"note-{n}-{f}"
        for f in (
            "pain-before",
            "pain-after",
            "numbness-before",
            "numbness-after",
            "tingling-before",
            "tingling-after",
            "soreness-after",
        )
    }
    assert observations[f"note-{n}-pain-after"]["valueQuantity"]["value"] == 2  # amended from 3
    assert (codes.LOINC, "72514-3") in codings(observations[f"note-{n}-pain-before"]["code"])
    assert observations[f"note-{n}-pain-before"]["effectiveDateTime"] == record.past.starts_at.isoformat()
    assert observations[f"note-{n}-pain-after"]["effectiveDateTime"] == record.past.ends_at.isoformat()
    assert observations[f"note-{n}-pain-after"]["encounter"] == {"reference": f"Encounter/{record.past.pk}"}


def test_intake_ratings_are_observations(record):
    observations = mapping.observations_for_condition(record.conditions[0])

    assert Counter(o["code"]["coding"][-1]["code"] for o in observations) == Counter(
        {"nrs_pain": 1, "nrs_numbness": 1, "nrs_tingling": 1}
    )
    for obs in observations:
        fhir_valid(obs)


def test_flag_care_plan_appointment_encounter_procedure(record):
    flag = fhir_valid(mapping.flag(record.flags[0]))
    assert flag["status"] == "active"
    assert flag["category"][1]["coding"][0]["system"] == codes.CS_SAFETY_LEVEL

    plan = fhir_valid(mapping.care_plan(record.plan))
    assert (plan["status"], plan["intent"]) == ("draft", "proposal")
    assert (codes.CPT, "97124") in codings(plan["activity"][0]["detail"]["code"])

    assert fhir_valid(mapping.appointment(record.past))["status"] == "fulfilled"
    assert fhir_valid(mapping.appointment(record.future))["status"] == "booked"
    cancelled = fhir_valid(mapping.appointment(record.cancelled))
    assert cancelled["status"] == "cancelled" and cancelled["cancelationReason"] == {"text": "Client unwell"}

    encounter = fhir_valid(mapping.encounter(record.past))
    assert encounter["status"] == "finished"
    assert encounter["appointment"] == [{"reference": f"Appointment/{record.past.pk}"}]

    procedure = fhir_valid(mapping.procedure(record.note, current_values(record.note)))
    assert codings(procedure["code"]) >= {(codes.CPT, "97124")}
    assert not any(
        "display" in c for c in procedure["code"]["coding"] if c["system"] == codes.CPT
    )  # numbers only
    assert procedure["encounter"] == {"reference": f"Encounter/{record.past.pk}"}
    assert (
        procedure["performedPeriod"]["end"]
        == (record.past.starts_at + datetime.timedelta(minutes=50)).isoformat()
    )
    assert [b["text"] for b in procedure["bodySite"]] == ["Foot (whole), both sides", "Lower back"]
    # Each body site is coded in SNOMED CT (clients/data/body_regions.yaml, from DICOM PS3.16).
    assert [codings(b) for b in procedure["bodySite"]] == [
        {(codes.SNOMED, "56459004")},
        {(codes.SNOMED, "52612000")},
    ]
    mld = fhir_valid(mapping.procedure(record.note, current_values(record.note) | {"modality": "mld"}))
    assert (codes.CPT, "97140") in codings(mld["code"])


def test_document_reference_points_at_the_pdf_report(record):
    doc = fhir_valid(mapping.document_reference(record.client, mapping.Context("https://care.example.org")))

    attachment = doc["content"][0]["attachment"]
    assert attachment["url"] == f"https://care.example.org/api/v1/clients/{record.client.pk}/report.pdf"
    assert attachment["contentType"] == "application/pdf"


def test_practitioner_and_organization(record, therapist_user, clinic):
    practitioner = fhir_valid(mapping.practitioner(therapist_user.therapist))
    assert {q["code"]["coding"][0]["code"] for q in practitioner["qualification"]} == {
        "oncology_massage",
        "mld",
        "diabetic_foot",
    }
    organization = fhir_valid(mapping.organization(clinic))
    assert organization["name"] == "Riverside"
