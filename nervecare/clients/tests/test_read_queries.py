"""The hot clinical reads (GET /clients/{id}, GET /clients?search=) keep a fixed, small number of queries,
whatever the size of the record or the list, and return the same data as the models say."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nervecare.clients.models import BodyMap, BodyMapMark, Condition, Consent, ConsentText, MedicalContext
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.screening.models import InstrumentResponse, SafetyFlag

pytestmark = pytest.mark.django_db

# Sign-in (session, user, two-step device, token) and the audit trail's append are not the route's own.
NOT_OWN = ("django_session", "core_user", "otp_", "core_apitoken", "core_auditevent", "axes_")
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SELECT PG_ADVISORY", "SET CONSTRAINTS")


def own_queries(ctx) -> list[str]:
    """The SQL the route itself sent (what these tests pin)."""
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not any(t in q["sql"] for t in NOT_OWN) and not q["sql"].upper().startswith(CONTROL)
    ]


def get(api, url):
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(url)
    assert r.status_code == 200, r.content
    return r.json(), own_queries(ctx)


def rich_record(client, *, conditions=2, maps=2, consents=2, responses=3):
    for i in range(conditions):
        ConditionFactory(client=client, type="peripheral", cause="chemotherapy", numbness=i)
    MedicalContext.objects.get_or_create(client=client)
    text, _ = ConsentText.objects.get_or_create(
        clinic=client.clinic,
        version="rich",
        defaults={"body": "x" * 500, "effective_from": datetime.date(2026, 1, 1)},
    )
    for i in range(consents):
        Consent.objects.create(
            client=client, text=text, method="written", given_at=timezone.now() - datetime.timedelta(days=i)
        )
    for i in range(maps):
        body_map = BodyMap.objects.create(
            client=client, recorded_at=timezone.now() - datetime.timedelta(days=i), context="visit"
        )
        for side in ("left", "right"):
            BodyMapMark.objects.create(
                body_map=body_map, region="toes", side=side, sensation="numbness", intensity=3 + i
            )
    for i in range(responses):
        InstrumentResponse.objects.create(
            client=client,
            instrument="nrs_pain",
            definition_version="1",
            answers={"pain": i},
            item_scores={"pain": i},
            total=i,
            max_total=10,
            interpretation={},
            administered_at=timezone.now() - datetime.timedelta(days=i),
        )
    SafetyFlag.objects.create(
        client=client,
        rule_id=f"r{SafetyFlag.objects.count()}",
        rules_version="1",
        title="Check",
        level="caution",
        area="feet",
        reason="because",
        actions=[],
        source="test",
        raised_at=timezone.now(),
        last_checked_at=timezone.now(),
    )


@pytest.fixture
def mine(clinic, therapist_user):
    return ClientFactory(clinic=clinic, primary_therapist=therapist_user.therapist)


def test_record_reads_each_part_once(api, mine):
    rich_record(mine)

    record, sql = get(api, f"/api/v1/clients/{mine.id}")

    # The client with its medical context, the latest two body maps, their marks, the conditions, the
    # consents (with their version), the open flags, the screenings.
    assert len(sql) == 7, "\n".join(sql)
    assert len(record["conditions"]) == 2 and record["medical"] is not None
    assert len(record["consents"]) == 2 and len(record["body_map"]["marks"]) == 2
    assert record["body_map_comparison"]["changed"]  # the previous map, from the same read
    assert len(record["open_flags"]) == 1 and record["latest_screenings"]["nrs_pain"]["answers"] == {
        "pain": 0
    }
    # Never the consent text's body, the clinic or the therapist: only what the record shows.
    assert not any('"body"' in q or "core_clinic" in q for q in sql)


def test_record_query_count_does_not_grow_with_the_record(api, mine):
    rich_record(mine, conditions=1, maps=2, consents=1, responses=1)
    _, few = get(api, f"/api/v1/clients/{mine.id}")
    rich_record(mine, conditions=5, maps=4, consents=4, responses=6)
    _, many = get(api, f"/api/v1/clients/{mine.id}")

    assert len(many) == len(few) == 7


def test_a_bare_record_skips_the_marks(api, mine):
    record, sql = get(api, f"/api/v1/clients/{mine.id}")

    assert len(sql) == 6, "\n".join(sql)  # no body map: no marks to read
    assert (record["medical"], record["body_map"], record["body_map_comparison"]) == (None, None, None)
    assert record["conditions"] == record["consents"] == record["open_flags"] == []


def test_the_record_after_a_medical_change_shows_the_change(api, mine):
    """The read loads the medical context with the client; a write must still answer with the new state."""
    MedicalContextFactory(client=mine, pregnant=False)
    api.get(f"/api/v1/clients/{mine.id}")

    r = api.patch(f"/api/v1/clients/{mine.id}/medical", {"pregnant": True}, content_type="application/json")

    assert r.status_code == 200 and r.json()["pregnant"] is True
    assert get(api, f"/api/v1/clients/{mine.id}")[0]["medical"]["pregnant"] is True


def test_list_reads_clients_and_conditions_once(api, clinic, therapist_user):
    for i in range(6):
        client = ClientFactory(clinic=clinic, primary_therapist=therapist_user.therapist, last_name=f"L{i}")
        for _ in range(i % 3):
            ConditionFactory(client=client)
    ClientFactory(clinic=clinic, last_name="Hidden", primary_therapist=None)  # not Alice's

    rows, sql = get(api, "/api/v1/clients")
    assert len(rows) == 6 and len(sql) == 2, "\n".join(sql)
    assert "Hidden" not in {r["last_name"] for r in rows}

    rows, sql = get(api, "/api/v1/clients?type=peripheral&search=L")
    assert len(sql) == 2 and "DISTINCT" in sql[0]  # the condition filter joins conditions

    rows, sql = get(api, "/api/v1/clients?search=nobody-by-that-name")
    assert rows == [] and len(sql) == 1  # no clients, no conditions to read


def test_list_shows_each_condition_as_str_does(api, clinic, therapist_user):
    client = ClientFactory(clinic=clinic, primary_therapist=therapist_user.therapist)
    made = [
        ConditionFactory(client=client, type=t, cause=c)
        for t, c in [("focal", "injury"), ("peripheral", "b12_deficiency"), ("cranial", "unknown")]
    ]

    [row] = get(api, "/api/v1/clients")[0]

    assert row["conditions"] == [str(c) for c in made]


def test_describe_is_str_for_every_code_and_unknown_ones():
    for t in [*Condition.Type.values, "mystery"]:
        for c in [*Condition.Cause.values, "mystery"]:
            condition = Condition(type=t, cause=c)
            expected = f"{condition.get_type_display()} neuropathy ({condition.get_cause_display()})"
            assert Condition.describe(t, c) == str(condition) == expected
