"""Importing a referral Bundle: round trip, matching, the report, and bad bundles refused whole."""

import copy
import datetime
import json

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nervecare.clients.models import Client, Condition
from nervecare.conftest import login
from nervecare.interop import codes
from nervecare.interop.models import ContactChangeProposal, PatientIdentifier
from nervecare.interop.tests.conftest import fhir_valid
from nervecare.screening.models import InstrumentResponse

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
FHIR = "application/fhir+json"
SNOMED, ICD = codes.SNOMED, codes.ICD10CM


def post(http, bundle, **extra):
    body = bundle if isinstance(bundle, str | bytes) else json.dumps(bundle)
    response = http.post(f"{BASE}/", body, content_type=FHIR, **extra)
    outcome = response.json()
    fhir_valid(outcome)
    assert outcome["resourceType"] == "OperationOutcome"
    return response, outcome


def messages(outcome, severity=None):
    return [i["diagnostics"] for i in outcome["issue"] if severity is None or i["severity"] == severity]


def patient(**extra):
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.2.1.4.1", "value": "943 476 5919"}],
        "name": [{"use": "official", "family": "Okafor", "given": ["Grace", "Ada"]}],
        "birthDate": "1962-04-09",
        "telecom": [
            {"system": "phone", "value": "+44 161 496 0000"},
            {"system": "email", "value": "grace@example.org"},
        ],
        "address": [{"line": ["2 Mill Lane"], "city": "Leeds", "postalCode": "LS1 4AP"}],
    } | extra


def condition(*coding, **extra):
    return {
        "resourceType": "Condition",
        "subject": {"reference": "urn:uuid:patient-1"},
        "code": {"coding": [{"system": s, "code": c} for s, c in coding]},
    } | extra


def referral(*resources, bundle_type="transaction", the_patient=None):
    entries = [{"fullUrl": "urn:uuid:patient-1", "resource": the_patient or patient()}]
    entries += [{"fullUrl": f"urn:uuid:entry-{i}", "resource": r} for i, r in enumerate(resources)]
    if bundle_type == "transaction":
        for e in entries:
            e["request"] = {"method": "POST", "url": e["resource"]["resourceType"]}
    return {"resourceType": "Bundle", "type": bundle_type, "entry": entries}


def pain(value=7, **extra):
    return {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "urn:uuid:patient-1"},
        "code": {"coding": [{"system": codes.LOINC, "code": "72514-3"}]},
        "effectiveDateTime": "2026-01-05T10:00:00Z",
        "valueQuantity": {"value": value, "unit": "score", "system": codes.UCUM, "code": "{score}"},
    } | extra


def test_a_referral_creates_a_client(api, therapist_user):
    bundle = referral(
        condition((SNOMED, "713706002"), (ICD, "E11.42"), onsetDateTime="2018-02-01"),
        condition((ICD, "G56.01")),  # carpal tunnel, right (the G56.0x range)
        pain(7),
    )
    fhir_valid(bundle)

    response, outcome = post(api, bundle)

    assert response.status_code == 201, outcome
    client = Client.objects.get(last_name="Okafor")
    assert response["Location"] == f"http://testserver{BASE}/Patient/{client.pk}"
    assert (client.first_name, client.date_of_birth, client.clinic_id) == (
        "Grace Ada",
        datetime.date(1962, 4, 9),
        therapist_user.clinic_id,
    )
    assert (client.phone, client.email, client.address) == (
        "+44 161 496 0000",
        "grace@example.org",
        "2 Mill Lane, Leeds, LS1 4AP",
    )
    conditions = list(
        client.conditions.order_by("id").values_list("type", "cause", "diagnosis_code", "onset_date")
    )
    assert conditions == [
        ("peripheral", "diabetes_t2", "diabetic_polyneuropathy_t2", datetime.date(2018, 2, 1)),
        ("focal", "injury", "carpal_tunnel", None),
    ]
    screening = InstrumentResponse.objects.get(client=client)
    assert (screening.instrument, screening.answers, screening.context) == ("nrs_pain", {"pain": 7}, "intake")
    assert PatientIdentifier.objects.filter(client=client, value="943 476 5919").exists()
    info = messages(outcome, "information")
    assert info[0].startswith(f"Created Patient/{client.pk}")
    assert any("E11.42" in m for m in info) and any("NRS pain 7" in m for m in info)


def test_the_same_referral_again_updates_the_client(api):
    bundle = referral(condition((SNOMED, "713706002")))
    post(api, bundle)
    client = Client.objects.get(last_name="Okafor")

    changed = referral(
        condition((SNOMED, "713706002")),
        condition((SNOMED, "31681005")),
        the_patient=patient(
            telecom=[{"system": "phone", "value": "0161 000 1111"}],
            name=[{"family": "Okafor-Bell", "given": ["Grace"]}],
        ),
    )
    response, outcome = post(api, changed)  # found by its identifier, though the name changed

    assert response.status_code == 200, outcome
    client.refresh_from_db()
    # The name is updated; the phone is not overwritten but proposed for review (issue 14, finding 3).
    assert (client.last_name, client.phone) == ("Okafor-Bell", "+44 161 496 0000")
    proposal = ContactChangeProposal.objects.get(client=client)
    assert proposal.changes == {"phone": {"current": "+44 161 496 0000", "proposed": "0161 000 1111"}}
    assert Client.objects.count() == 1
    assert sorted(client.conditions.values_list("diagnosis_code", flat=True)) == [
        "diabetic_polyneuropathy_t2",
        "trigeminal_neuralgia",
    ]
    assert any("already recorded" in m for m in messages(outcome))
    assert "last_name" in messages(outcome)[0] and "phone" not in messages(outcome)[0]
    assert "phone" in messages(outcome)[1] and "proposed for review" in messages(outcome)[1]


def test_matching_by_name_and_birth_date(api, clinic, therapist_user):
    existing = Client.objects.create(  # Alice's own client: only clients she may see are matched
        clinic=clinic,
        first_name="grace ada",
        last_name="OKAFOR",
        date_of_birth=datetime.date(1962, 4, 9),
        primary_therapist=therapist_user.therapist,
    )

    response, _outcome = post(
        api, referral(condition((SNOMED, "42345000")), the_patient=patient(identifier=[]))
    )

    assert response.status_code == 200
    assert list(Client.objects.values_list("pk", flat=True)) == [existing.pk]
    assert existing.conditions.get().diagnosis_code == "polyneuropathy"


def test_an_identifier_with_another_birth_date_is_refused(api):
    post(api, referral(condition((SNOMED, "42345000"))))

    response, outcome = post(
        api, referral(condition((SNOMED, "42345000")), the_patient=patient(birthDate="1970-01-01"))
    )

    assert response.status_code == 422
    assert outcome["issue"][0]["code"] == "conflict"
    assert Client.objects.count() == 1


def test_unknown_condition_codes_are_skipped_with_a_warning(api):
    bundle = referral(
        condition((SNOMED, "73211009")),  # diabetes mellitus: not a neuropathy code NerveCare knows
        condition((ICD, "G62.11")),  # an invented code (see clinical-reference.md)
        condition((SNOMED, "40956001"), verificationStatus={"coding": [{"code": "refuted"}]}),
        condition((ICD, "G61.0")),
        {"resourceType": "MedicationStatement", "status": "active"},
        pain(7, code={"coding": [{"system": codes.CS_OBSERVATION, "code": "mnsi_history"}]}),
        pain(12),
    )

    response, outcome = post(api, bundle)

    assert response.status_code == 201, outcome
    client = Client.objects.get()
    assert list(client.conditions.values_list("diagnosis_code", "type", "cause")) == [
        ("guillain_barre", "autoimmune", "autoimmune")
    ]
    warnings = messages(outcome, "warning")
    assert len(warnings) == 4
    assert any("73211009" in w for w in warnings) and any("G62.11" in w for w in warnings)
    assert any("total score" in w for w in warnings) and any("0 to 10" in w for w in warnings)
    assert any("refuted" in m for m in messages(outcome, "information"))
    assert any("MedicationStatement is not imported" in m for m in messages(outcome, "information"))
    assert not InstrumentResponse.objects.exists()


def test_a_chemotherapy_neuropathy_without_its_agent_is_taken_with_a_warning(api):
    response, outcome = post(api, referral(condition((SNOMED, "762595001"))))

    assert response.status_code == 201
    taken = Condition.objects.get()
    assert (taken.cause, taken.diagnosis_code, taken.chemotherapy_agent) == (
        "chemotherapy",
        "cipn",
        "not named in the referral",
    )
    assert any("agent" in w for w in messages(outcome, "warning"))


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ('{"resourceType": "Patient"}', 400),
        ('{"resourceType": "Bundle", "type": "searchset", "entry": []}', 400),
        ('{"resourceType": "Bundle", "type": "collection", "entry": {}}', 400),
        ('{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "x"}]}', 400),
        ('{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"id": "1"}}]}', 400),
        ('{"resourceType": "Bundle", "type": "collection", "entry": []}', 422),
        ("[]", 400),
    ],
)
def test_malformed_bundles_are_400_or_422(api, body, status):
    response, outcome = post(api, body)

    assert response.status_code == status, outcome
    assert outcome["issue"][0]["severity"] == "error"
    assert not Client.objects.exists()


def test_bundles_that_cannot_be_imported_store_nothing(api, clinic):
    two = referral(condition((SNOMED, "42345000")))
    two["entry"].append({"resource": patient(id="p2")})
    nameless = patient()
    del nameless["name"]
    cases = {
        "no patient": {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": condition((SNOMED, "42345000"))}],
        },
        "two patients": two,
        "no name": referral(condition((SNOMED, "42345000")), the_patient=nameless),
        "no birth date": referral(condition((SNOMED, "42345000")), the_patient=patient(birthDate="1962")),
        "future birth": referral(
            condition((SNOMED, "42345000")), the_patient=patient(birthDate="2999-01-01")
        ),
        "no usable condition": referral(condition((SNOMED, "73211009"))),
        "someone else's condition": referral(
            condition((SNOMED, "42345000"), subject={"reference": "Patient/77"})
        ),
        "someone else's observation": referral(
            condition((SNOMED, "42345000")), pain(5, subject={"reference": "Patient/77"})
        ),
    }
    for name, bundle in cases.items():
        response, outcome = post(api, bundle)
        assert response.status_code == 422, (name, outcome)
        assert outcome["issue"][-1]["severity"] == "error", name
    assert not Client.objects.exists() and not Condition.objects.exists()
    assert not InstrumentResponse.objects.exists() and not PatientIdentifier.objects.exists()


def test_permissions_and_content_type(front_desk_user, token, api):
    bundle = json.dumps(referral(condition((SNOMED, "42345000"))))
    assert HttpClient().post(f"{BASE}/", bundle, content_type=FHIR).status_code == 401
    response = login(front_desk_user).post(f"{BASE}/", bundle, content_type=FHIR)
    assert response.status_code == 403 and response.json()["resourceType"] == "OperationOutcome"
    assert api.post(f"{BASE}/", bundle, content_type="text/plain").status_code == 415
    csrf_checked = HttpClient(enforce_csrf_checks=True)
    csrf_checked.force_login(front_desk_user.__class__.objects.get(username="alice"))
    assert (
        csrf_checked.post(f"{BASE}/", bundle, content_type=FHIR).status_code == 403
    )  # a session needs its CSRF token
    by_token = HttpClient(enforce_csrf_checks=True).post(
        f"{BASE}/", bundle, content_type=FHIR, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert by_token.status_code == 201
    assert api.get(f"{BASE}/").status_code == 405


# --- round trip ---------------------------------------------------------------------------------------------


def exported_bundle(http, client_id):
    """A collection Bundle of what NerveCare exports about one client (read and search)."""
    entries = [http.get(f"{BASE}/Patient/{client_id}").json()]
    for resource_type in ("Condition", "Observation"):
        page = http.get(f"{BASE}/{resource_type}?patient={client_id}&_count=500").json()
        entries += [e["resource"] for e in page["entry"]]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"http://testserver{BASE}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in entries
        ],
    }


CONDITION_FIELDS = (
    "type",
    "cause",
    "diagnosis_code",
    "diagnosis",
    "onset_date",
    "chemotherapy_agent",
    "chemotherapy_start",
    "chemotherapy_end",
    *Condition.SYMPTOMS,
)


def test_export_then_import_into_another_clinic_round_trips_the_client(record, api, other_clinic_user):
    bundle = exported_bundle(api, record.client.pk)
    fhir_valid(bundle)
    olga = login(other_clinic_user)

    response, outcome = post(olga, copy.deepcopy(bundle))

    assert response.status_code == 201, outcome
    copy_ = Client.objects.get(clinic=other_clinic_user.clinic)
    original = record.client
    for name in (
        "first_name",
        "last_name",
        "date_of_birth",
        "email",
        "phone",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "referring_clinician",
        "goals",
    ):
        assert getattr(copy_, name) == getattr(original, name), name

    def conditions(client):
        return [tuple(getattr(c, f) for f in CONDITION_FIELDS) for c in client.conditions.order_by("id")]

    assert conditions(copy_) == conditions(original)
    # The stand-alone pain and numbness ratings come back as screenings; totals are skipped with a warning.
    assert sorted(copy_.responses.values_list("instrument", flat=True)) == sorted(
        [
            "nrs_pain",
            "nrs_pain",
            "nrs_pain",
            "nrs_numbness",
            "nrs_numbness",
            "nrs_numbness",
            "nrs_tingling",
            "nrs_tingling",
        ]
    )
    assert any("total score" in w for w in messages(outcome, "warning"))

    again, outcome = post(olga, copy.deepcopy(bundle))  # the same export again: nothing doubled
    assert again.status_code == 200
    assert Client.objects.filter(clinic=other_clinic_user.clinic).count() == 1
    assert copy_.conditions.count() == 2


def test_import_back_into_the_same_clinic_finds_the_client_by_its_id(record, api):
    bundle = exported_bundle(api, record.client.pk)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Observation"]
    bundle["entry"][0]["resource"]["name"][0]["family"] = "Lopez-Garcia"

    response, outcome = post(api, bundle)

    assert response.status_code == 200, outcome
    record.client.refresh_from_db()
    assert record.client.last_name == "Lopez-Garcia"
    assert Client.objects.count() == 1
    assert record.client.conditions.count() == 2  # both already recorded


FIELDS = [
    "name",
    "given",
    "family",
    "birthDate",
    "telecom",
    "system",
    "value",
    "address",
    "line",
    "contact",
    "identifier",
    "code",
    "coding",
    "text",
    "subject",
    "reference",
    "evidence",
    "detail",
    "verificationStatus",
    "onsetDateTime",
    "onsetPeriod",
    "extension",
    "url",
    "valueQuantity",
    "valueInteger",
    "effectiveDateTime",
    "status",
    "note",
]


# Any JSON at all where a referral has structure: the answer is a report or a 4xx, never a crash.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 20) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    patient_part=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
    condition_part=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
    observation_part=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
)
def test_odd_shapes_are_answered_never_crash(api, patient_part, condition_part, observation_part):
    bundle = referral(
        condition((SNOMED, "42345000")) | condition_part,
        pain(5) | observation_part,
        the_patient=patient() | patient_part,
    )
    response = api.post(f"{BASE}/", json.dumps(bundle), content_type=FHIR)

    assert response.status_code in (200, 201, 400, 422), response.content
    fhir_valid(response.json())


def test_a_retried_import_with_its_idempotency_key_gets_the_first_answer(api):
    """A referral POSTed again after a lost answer, with the same Idempotency-Key: the first 201 (same Location
    and outcome), not a second import; the key with another bundle is refused naming the header."""
    bundle = referral(condition((ICD, "G56.01")))
    first, outcome = post(api, bundle, headers={"Idempotency-Key": "ref-1"})
    assert first.status_code == 201, outcome
    again, _ = post(api, bundle, headers={"Idempotency-Key": "ref-1"})
    assert (again.status_code, again["Location"], again.content) == (201, first["Location"], first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert Client.objects.filter(last_name="Okafor").count() == 1
    assert Condition.objects.filter(client__last_name="Okafor").count() == 1
    other, refused = post(api, referral(condition((ICD, "G56.02"))), headers={"Idempotency-Key": "ref-1"})
    assert other.status_code == 422
    assert refused["issue"][0]["expression"] == ["Idempotency-Key"]
    assert "used for a different request" in refused["issue"][0]["diagnostics"]
