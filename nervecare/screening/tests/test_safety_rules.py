"""The safety engine (facts + rules from data) and the services that keep a client's flags current.

One case per situation in clinical-reference.md §2; the expected levels come from that table.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from nervecare.clients.models import Condition, MedicalContext
from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.core.errors import FieldErrors
from nervecare.screening.models import SafetyThresholds
from nervecare.screening.safety import evaluate, gather_facts, ruleset
from nervecare.screening.selectors import blocking_flags
from nervecare.screening.services import flag_record_clearance, response_create, safety_check_run

TODAY = datetime.date(2026, 6, 15)

# MNSI history answers that score 0 (normal sensation): "yes" to the reversed items 7 and 13.
MNSI_NORMAL = {str(i): "no" for i in range(1, 16)} | {"7": "yes", "13": "yes"}
EXAM_NORMAL = {
    f"{side}.{item}": value
    for side in ("right", "left")
    for item, value in {
        "appearance": "normal",
        "ulceration": "absent",
        "ankle_reflex": "present",
        "vibration": "present",
    }.items()
}
EXAM_MONO_NORMAL = EXAM_NORMAL | {"right.monofilament": "normal", "left.monofilament": "normal"}


def fired(*, medical=None, conditions=None, answers=None, thresholds=None, today=TODAY):
    """Run the pure engine on an unsaved record; returns {rule id: FiredRule}."""
    facts = gather_facts(
        thresholds=thresholds or SafetyThresholds(),
        conditions=[Condition(**c) for c in (conditions or [])],
        medical=MedicalContext(**medical) if medical is not None else None,
        latest_answers=answers or {},
        today=today,
    )
    return {f.rule.id: f for f in evaluate(facts)}


CHRONIC_INJURY = [{"type": "focal", "cause": "injury"}]


def only(rule_id, **kwargs):
    """Fire the engine for a non-diabetic client (so diabetic foot care stays quiet) and return one rule."""
    kwargs.setdefault("conditions", CHRONIC_INJURY)
    hits = fired(**kwargs)
    assert rule_id in hits, f"{rule_id} did not fire; fired: {sorted(hits)}"
    return hits[rule_id]


def quiet(rule_id, **kwargs):
    kwargs.setdefault("conditions", CHRONIC_INJURY)
    hits = fired(**kwargs)
    assert rule_id not in hits, f"{rule_id} fired unexpectedly: {hits[rule_id].reason}"


# --- The engine, rule by rule ----------------------------------------------------------------------------
def test_healthy_client_without_diabetes_has_no_flags():
    assert fired(conditions=CHRONIC_INJURY, medical={}) == {}
    assert fired(conditions=CHRONIC_INJURY, medical=None) == {}
    assert (
        fired(
            conditions=CHRONIC_INJURY,
            medical={},
            answers={"mnsi_history": MNSI_NORMAL, "mnsi_exam_monofilament": EXAM_MONO_NORMAL},
        )
        == {}
    )


def test_every_rule_in_the_data_cites_a_source_and_says_what_to_do():
    for rule in ruleset().rules:
        assert rule.source.strip(), rule.id
        assert rule.actions and all(a.strip() for a in rule.actions), rule.id
        assert rule.level in {"stop", "clearance", "modify", "caution"}


@pytest.mark.parametrize(
    "answers",
    [
        {"mnsi_history": MNSI_NORMAL | {"7": "no"}},
        {"mnsi_history": MNSI_NORMAL | {"13": "no"}},
        {"mnsi_exam_monofilament": EXAM_MONO_NORMAL | {"right.monofilament": "reduced"}},
        {"mnsi_exam_monofilament": EXAM_MONO_NORMAL | {"left.monofilament": "absent"}},
    ],
    ids=["mnsi-7-no", "mnsi-13-no", "monofilament-reduced", "monofilament-absent"],
)
def test_loss_of_protective_sensation_modifies_feet_with_light_pressure_and_no_heat(answers):
    hit = only("lops", answers=answers)
    assert hit.level == "modify"
    assert hit.area == "feet"
    assert hit.rule.effects["max_pressure"] == "light"
    assert hit.rule.effects["no_heat"] is True
    assert any("light pressure" in a.lower() for a in hit.rule.actions)


def test_lops_is_quiet_when_sensation_is_intact():
    quiet("lops", answers={"mnsi_history": MNSI_NORMAL, "mnsi_exam_monofilament": EXAM_MONO_NORMAL})
    # A "yes" on the forward symptom items is not loss of protective sensation.
    quiet("lops", answers={"mnsi_history": MNSI_NORMAL | {"1": "yes", "2": "yes"}})


@pytest.mark.parametrize("cause", ["diabetes_t1", "diabetes_t2"])
def test_diabetes_brings_foot_care(cause):
    hit = only("diabetic_foot_care", conditions=[{"type": "peripheral", "cause": cause}])
    assert hit.level == "modify"
    assert hit.area == "feet"
    assert any("between the toes" in a for a in hit.rule.actions)


def test_foot_ulcer_on_intake_stops_with_the_site_as_area():
    hit = only(
        "foot_ulcer_wound_infection", medical={"foot_wound_or_ulcer": True, "foot_wound_site": "left heel"}
    )
    assert hit.level == "stop"
    assert hit.area == "left heel"
    assert any("24 hours" in a for a in hit.rule.actions)


@pytest.mark.parametrize("code", ["mnsi_exam", "mnsi_exam_monofilament"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_ulceration_found_on_mnsi_exam_stops(code, side):
    normal = EXAM_NORMAL if code == "mnsi_exam" else EXAM_MONO_NORMAL
    hit = only("foot_ulcer_wound_infection", answers={code: normal | {f"{side}.ulceration": "present"}})
    assert hit.level == "stop"


def test_no_ulcer_flag_on_a_normal_exam():
    quiet("foot_ulcer_wound_infection", medical={}, answers={"mnsi_exam": EXAM_NORMAL})


def test_red_warm_swollen_foot_suspected_charcot_stops():
    hit = only("suspected_charcot", medical={"foot_red_warm_swollen": True})
    assert hit.level == "stop"


def test_dvt_signs_stop_all_massage():
    hits = fired(conditions=CHRONIC_INJURY, medical={"dvt_signs_now": True})
    assert hits["suspected_dvt"].level == "stop"
    assert hits["suspected_dvt"].rule.applies_to == []  # every modality


@pytest.mark.parametrize(
    "dvt_date",
    [TODAY - datetime.timedelta(days=90), TODAY - datetime.timedelta(days=170), None],
    ids=["3-months", "5-months", "unknown-date"],
)
def test_recent_or_undated_dvt_history_needs_clearance(dvt_date):
    hit = only("dvt_history", medical={"dvt_history": True, "dvt_date": dvt_date, "dvt_site": "left calf"})
    assert hit.level == "clearance"
    assert hit.area == "left calf"


def test_dvt_two_years_ago_needs_no_clearance():
    quiet("dvt_history", medical={"dvt_history": True, "dvt_date": datetime.date(2024, 6, 1)})


def test_dvt_history_window_is_a_clinic_setting():
    ten_months_ago = datetime.date(2025, 8, 10)
    quiet("dvt_history", medical={"dvt_history": True, "dvt_date": ten_months_ago})
    hit = only(
        "dvt_history",
        medical={"dvt_history": True, "dvt_date": ten_months_ago},
        thresholds=SafetyThresholds(dvt_history_months=12),
    )
    assert "12 months" in hit.reason


@pytest.mark.parametrize("fact", ["on_anticoagulants", "bleeding_disorder"])
def test_anticoagulants_or_bleeding_disorder_modify_to_no_deep_pressure(fact):
    hit = only("anticoagulants_bleeding", medical={fact: True})
    assert hit.level == "modify"
    assert hit.rule.effects["max_pressure"] == "moderate"


# --- Thresholds at their edges (issue 19 point 4): each side of each threshold, read from its source --------
# clinical-reference.md §2: "platelets ≤ 50,000/µL (safe only above 50,000)" — Ng et al. 2018 (safe if
# platelets > 50,000); so exactly 50,000 flags and 50,001 does not.
@pytest.mark.parametrize("count", [49_999, 50_000])
def test_platelets_at_or_below_50000_raise_a_flag(count):
    hit = only("low_platelets", medical={"platelets_per_ul": count})
    assert hit.level == "modify"  # default policy: gentle touch only
    assert hit.rule.effects["max_pressure"] == "light"
    assert str(count) in hit.reason and "50000" in hit.reason
    assert "at or below" in hit.reason


def test_platelets_above_50000_do_not_flag():
    quiet("low_platelets", medical={"platelets_per_ul": 50_001})
    quiet("low_platelets", medical={"platelets_per_ul": None})


def test_the_clinic_platelet_threshold_is_inclusive_too():
    strict = SafetyThresholds(platelets_min_per_ul=75_000)
    assert only("low_platelets", medical={"platelets_per_ul": 75_000}, thresholds=strict)
    quiet("low_platelets", medical={"platelets_per_ul": 75_001}, thresholds=strict)


@pytest.mark.parametrize(
    ("months_ago", "flags"),
    # "DVT history (within ~6 months of treatment)": whole months completed; 6 months and 20 days is
    # still within about 6 months (the safer reading), 7 whole months is not.
    [(0, True), (6, True), (7, False)],
)
def test_dvt_history_window_edges(months_ago, flags):
    dvt_date = {0: TODAY, 6: datetime.date(2025, 11, 26), 7: datetime.date(2025, 11, 15)}[months_ago]
    medical = {"dvt_history": True, "dvt_date": dvt_date}
    if flags:
        assert only("dvt_history", medical=medical).level == "clearance"
    else:
        quiet("dvt_history", medical=medical)


def test_platelet_threshold_and_policy_are_clinic_settings():
    strict = SafetyThresholds(platelets_min_per_ul=75_000, platelets_policy="stop")
    hit = only("low_platelets", medical={"platelets_per_ul": 60_000}, thresholds=strict)
    assert hit.level == "stop"
    assert "75000" in hit.reason
    quiet("low_platelets", medical={"platelets_per_ul": 60_000})  # default clinic: fine
    assert (
        only(
            "low_platelets",
            medical={"platelets_per_ul": 40_000},
            thresholds=SafetyThresholds(platelets_policy="stop"),
        ).level
        == "stop"
    )


def test_neutrophils_below_500_stop_and_500_does_not():
    assert only("neutropenia", medical={"neutrophils_per_ul": 499}).level == "stop"
    quiet("neutropenia", medical={"neutrophils_per_ul": 500})
    quiet("neutropenia", medical={"neutrophils_per_ul": None})


def test_neutrophil_threshold_is_a_clinic_setting():
    thresholds = SafetyThresholds(neutrophils_min_per_ul=1000)
    assert only("neutropenia", medical={"neutrophils_per_ul": 800}, thresholds=thresholds).level == "stop"


def test_fever_of_38_stops_and_37_9_does_not():
    hit = only("fever", medical={"temperature_celsius": Decimal("38.0")})
    assert hit.level == "stop"
    assert any("oncology team" in a for a in hit.rule.actions)
    quiet("fever", medical={"temperature_celsius": Decimal("37.9")})
    quiet("fever", medical={"temperature_celsius": None})


def test_reported_fever_or_infection_stops_without_a_temperature():
    assert only("fever", medical={"fever_or_infection": True}).level == "stop"


def test_fever_threshold_is_a_clinic_setting():
    thresholds = SafetyThresholds(fever_min_celsius=Decimal("37.5"))
    assert (
        only("fever", medical={"temperature_celsius": Decimal("37.6")}, thresholds=thresholds).level == "stop"
    )
    quiet("fever", medical={"temperature_celsius": Decimal("37.4")}, thresholds=thresholds)


@pytest.mark.parametrize(
    ("medical", "rule_id", "area"),
    [
        (
            {"devices": ["port"], "devices_site": "right upper chest"},
            "vascular_access_device",
            "right upper chest",
        ),
        ({"devices": ["picc"], "devices_site": "left upper arm"}, "vascular_access_device", "left upper arm"),
        ({"radiation": True, "radiation_site": "left breast"}, "radiation_surgery_tumour", "left breast"),
        (
            {"recent_surgery": True, "recent_surgery_site": "right knee"},
            "radiation_surgery_tumour",
            "right knee",
        ),
        (
            {"tumour_or_enlarged_nodes": True, "tumour_site": "left axilla"},
            "radiation_surgery_tumour",
            "left axilla",
        ),
    ],
    ids=["port", "picc", "radiation", "surgery", "tumour"],
)
def test_oncology_sites_modify_with_the_site_as_area(medical, rule_id, area):
    hit = only(rule_id, medical=medical)
    assert hit.level == "modify"
    assert hit.area == area
    assert any("avoid" in a.lower() for a in hit.rule.actions)


def test_other_devices_are_not_a_vascular_access_flag():
    quiet("vascular_access_device", medical={"devices": ["pacemaker", "insulin_pump"]})


@pytest.mark.parametrize(
    "medical",
    [
        {
            "lymph_nodes_removed": True,
            "lymph_node_sites": ["axillary_left"],
            "lymph_nodes_site": "left axilla",
        },
        {"lymphedema": True, "lymphedema_site": "left arm"},
    ],
    ids=["nodes-removed", "lymphedema"],
)
def test_lymph_node_removal_or_lymphedema_modifies_the_at_risk_limb(medical):
    hit = only("lymphedema_risk", medical=medical)
    assert hit.level == "modify"
    assert hit.area == "left arm"
    assert any("lymphatic drainage only by" in a.lower() for a in hit.rule.actions)


@pytest.mark.parametrize(
    "fact", ["skin_infection", "fever_or_infection", "dvt_signs_now", "heart_failure_uncontrolled"]
)
def test_mld_contraindications_stop_mld_only(fact):
    hit = only("mld_contraindicated", medical={fact: True})
    assert hit.level == "stop"
    assert hit.rule.applies_to == ["mld"]
    assert hit.rule.effects["exclude_modalities"] == ["mld"]


def test_mld_is_not_contraindicated_by_lymphedema_alone():
    quiet("mld_contraindicated", medical={"lymphedema": True})


def test_insulin_or_sulfonylurea_with_diabetes_is_a_caution():
    hit = only(
        "hypoglycaemia_risk",
        conditions=[{"type": "peripheral", "cause": "diabetes_t2"}],
        medical={"on_insulin_or_sulfonylurea": True},
    )
    assert hit.level == "caution"
    assert any("glucose" in a for a in hit.rule.actions)
    quiet("hypoglycaemia_risk", conditions=[{"type": "peripheral", "cause": "diabetes_t2"}], medical={})


def test_acute_guillain_barre_stops():
    hit = only(
        "gbs_acute",
        conditions=[
            {
                "type": "autoimmune",
                "cause": "autoimmune",
                "diagnosis_code": "guillain_barre",
                "phase": "acute",
            }
        ],
    )
    assert hit.level == "stop"


def test_guillain_barre_in_recovery_needs_clearance_not_stop():
    hits = fired(
        conditions=[
            {
                "type": "autoimmune",
                "cause": "autoimmune",
                "diagnosis_code": "guillain_barre",
                "phase": "recovery",
            }
        ]
    )
    assert hits["gbs_recovery"].level == "clearance"
    assert "gbs_acute" not in hits


def test_trigeminal_neuralgia_modifies_the_face():
    hit = only(
        "trigeminal_neuralgia",
        conditions=[{"type": "cranial", "cause": "unknown", "diagnosis_code": "trigeminal_neuralgia"}],
        medical={"trigeminal_trigger_zones": "left upper lip"},
    )
    assert hit.level == "modify"
    assert hit.area == "left upper lip"
    assert any("trigger zones" in a for a in hit.rule.actions)
    default = only(
        "trigeminal_neuralgia",
        conditions=[{"type": "cranial", "cause": "unknown", "diagnosis_code": "trigeminal_neuralgia"}],
    )
    assert "face" in default.area


@pytest.mark.parametrize(
    "fact",
    [
        "weakness_worsening_fast",
        "breathing_or_swallowing_trouble",
        "new_bladder_bowel_problems",
        "sudden_facial_droop",
    ],
)
def test_each_red_flag_stops(fact):
    hits = fired(conditions=CHRONIC_INJURY, medical={fact: True})
    assert len(hits) == 1
    (hit,) = hits.values()
    assert hit.level == "stop"
    assert "BMJ Best Practice" in hit.rule.source


def test_flags_come_most_severe_first():
    facts = gather_facts(
        thresholds=SafetyThresholds(),
        conditions=[Condition(type="peripheral", cause="diabetes_t2")],
        medical=MedicalContext(on_insulin_or_sulfonylurea=True, dvt_history=True, dvt_signs_now=True),
        latest_answers={},
        today=TODAY,
    )
    levels = [f.level for f in evaluate(facts)]
    order = ["stop", "clearance", "modify", "caution"]
    assert levels == sorted(levels, key=order.index)
    assert set(levels) == set(order)


# --- The service: flags kept current in the database -----------------------------------------------------
@pytest.fixture
def client_of(clinic):
    def make(*, cause="injury", type="focal", **medical):
        client = ClientFactory(clinic=clinic)
        ConditionFactory(client=client, cause=cause, type=type)
        MedicalContextFactory(client=client, **medical)
        return client

    return make


def open_rule_ids(client):
    return sorted(client.flags.filter(status="open").values_list("rule_id", flat=True))


@pytest.mark.django_db
def test_every_stored_flag_carries_its_source(therapist_user, client_of):
    client = client_of(
        cause="diabetes_t2",
        type="peripheral",
        on_anticoagulants=True,
        dvt_history=True,
        platelets_per_ul=20_000,
        sudden_facial_droop=True,
        lymphedema=True,
        on_insulin_or_sulfonylurea=True,
    )
    flags = safety_check_run(actor=therapist_user, client=client)
    assert len(flags) >= 7
    for flag in flags:
        assert flag.source.strip(), flag.rule_id
        assert flag.reason.strip() and flag.actions and flag.area


@pytest.mark.django_db
def test_running_the_check_twice_does_not_duplicate_open_flags(therapist_user, client_of):
    client = client_of(on_anticoagulants=True, radiation=True, radiation_site="left breast")
    first = safety_check_run(actor=therapist_user, client=client)
    second = safety_check_run(actor=therapist_user, client=client)
    assert sorted(f.rule_id for f in first) == ["anticoagulants_bleeding", "radiation_surgery_tumour"]
    assert [f.pk for f in second] == [f.pk for f in first]
    assert client.flags.count() == 2


@pytest.mark.django_db
def test_flag_resolves_as_no_longer_applies_when_the_fact_goes_away(therapist_user, client_of):
    client = client_of(on_anticoagulants=True)
    (flag,) = safety_check_run(actor=therapist_user, client=client)
    MedicalContext.objects.filter(client=client).update(on_anticoagulants=False)
    assert safety_check_run(actor=therapist_user, client=client) == []
    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert flag.resolution == "no_longer_applies"
    assert flag.resolved_by == therapist_user


@pytest.mark.django_db
def test_a_stop_flag_returns_when_the_fact_comes_back(therapist_user, client_of):
    client = client_of(fever_or_infection=True)
    safety_check_run(actor=therapist_user, client=client)
    MedicalContext.objects.filter(client=client).update(fever_or_infection=False)
    safety_check_run(actor=therapist_user, client=client)
    MedicalContext.objects.filter(client=client).update(fever_or_infection=True)
    flags = safety_check_run(actor=therapist_user, client=client)
    assert "fever" in [f.rule_id for f in flags]
    assert client.flags.filter(rule_id="fever").count() == 2


@pytest.mark.django_db
def test_lops_follows_the_latest_mnsi_history(therapist_user, client_of):
    client = client_of()
    earlier = timezone.now() - datetime.timedelta(days=30)
    response_create(
        actor=therapist_user,
        client=client,
        instrument="mnsi_history",
        answers=MNSI_NORMAL | {"7": "no"},
        administered_at=earlier,
    )
    (flag,) = safety_check_run(actor=therapist_user, client=client)
    assert (flag.rule_id, flag.level, flag.area) == ("lops", "modify", "feet")
    assert flag.effects["max_pressure"] == "light"

    response_create(actor=therapist_user, client=client, instrument="mnsi_history", answers=MNSI_NORMAL)
    assert safety_check_run(actor=therapist_user, client=client) == []
    flag.refresh_from_db()
    assert flag.resolution == "no_longer_applies"


@pytest.mark.django_db
def test_platelet_policy_change_in_the_clinic_changes_the_stored_level(therapist_user, clinic, client_of):
    client = client_of(platelets_per_ul=49_999)
    (flag,) = safety_check_run(actor=therapist_user, client=client)
    assert flag.level == "modify"
    SafetyThresholds.objects.create(clinic=clinic, platelets_policy="stop")
    client.refresh_from_db()
    (flag,) = safety_check_run(actor=therapist_user, client=client)
    assert flag.level == "stop"
    assert blocking_flags(client) == [flag]


@pytest.mark.django_db
def test_mld_stop_blocks_only_mld(therapist_user, client_of):
    client = client_of(lymphedema=True, skin_infection=True)
    flags = {f.rule_id: f for f in safety_check_run(actor=therapist_user, client=client)}
    assert flags["mld_contraindicated"].applies_to == ["mld"]
    assert blocking_flags(client, "swedish") == []
    assert [f.rule_id for f in blocking_flags(client, "mld")] == ["mld_contraindicated"]


@pytest.fixture
def recent_dvt_client(client_of):
    return client_of(
        dvt_history=True, dvt_date=timezone.localdate() - datetime.timedelta(days=60), dvt_site="right calf"
    )


@pytest.mark.django_db
def test_clearance_closes_a_clearance_flag_and_it_stays_closed(therapist_user, recent_dvt_client):
    (flag,) = safety_check_run(actor=therapist_user, client=recent_dvt_client)
    assert (flag.rule_id, flag.level, flag.area) == ("dvt_history", "clearance", "right calf")

    today = timezone.localdate()
    cleared = flag_record_clearance(
        actor=therapist_user, flag=flag, clinician="  Dr A. Patel ", clearance_date=today, note="Phoned GP"
    )
    assert cleared.status == "resolved"
    assert cleared.resolution == "cleared"
    assert cleared.clearance_by == "Dr A. Patel"
    assert cleared.clearance_date == today
    assert cleared.resolved_by == therapist_user

    assert safety_check_run(actor=therapist_user, client=recent_dvt_client) == []
    assert safety_check_run(actor=therapist_user, client=recent_dvt_client) == []
    assert recent_dvt_client.flags.filter(rule_id="dvt_history").count() == 1


@pytest.mark.django_db
def test_clearance_dated_in_the_past_is_accepted(therapist_user, recent_dvt_client):
    (flag,) = safety_check_run(actor=therapist_user, client=recent_dvt_client)
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    assert (
        flag_record_clearance(
            actor=therapist_user, flag=flag, clinician="Dr Patel", clearance_date=last_week
        ).clearance_date
        == last_week
    )


@pytest.mark.django_db
def test_future_clearance_date_is_refused(therapist_user, recent_dvt_client):
    (flag,) = safety_check_run(actor=therapist_user, client=recent_dvt_client)
    with pytest.raises(FieldErrors) as exc:
        flag_record_clearance(
            actor=therapist_user,
            flag=flag,
            clinician="Dr Patel",
            clearance_date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert set(exc.value.errors) == {"clearance_date"}
    flag.refresh_from_db()
    assert flag.status == "open"


@pytest.mark.django_db
def test_clearance_needs_the_clinicians_name(therapist_user, recent_dvt_client):
    (flag,) = safety_check_run(actor=therapist_user, client=recent_dvt_client)
    with pytest.raises(FieldErrors) as exc:
        flag_record_clearance(
            actor=therapist_user, flag=flag, clinician="   ", clearance_date=timezone.localdate()
        )
    assert set(exc.value.errors) == {"clinician"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("medical", "rule_id"),
    [({"dvt_signs_now": True}, "suspected_dvt"), ({"on_anticoagulants": True}, "anticoagulants_bleeding")],
    ids=["stop", "modify"],
)
def test_only_clearance_flags_close_with_a_clearance(therapist_user, client_of, medical, rule_id):
    client = client_of(**medical)
    flag = next(f for f in safety_check_run(actor=therapist_user, client=client) if f.rule_id == rule_id)
    with pytest.raises(FieldErrors) as exc:
        flag_record_clearance(
            actor=therapist_user, flag=flag, clinician="Dr Patel", clearance_date=timezone.localdate()
        )
    assert "flag" in exc.value.errors
    flag.refresh_from_db()
    assert flag.status == "open"
    assert rule_id in open_rule_ids(client)


@pytest.mark.django_db
def test_a_resolved_flag_cannot_be_cleared_again(therapist_user, recent_dvt_client):
    (flag,) = safety_check_run(actor=therapist_user, client=recent_dvt_client)
    flag_record_clearance(
        actor=therapist_user, flag=flag, clinician="Dr Patel", clearance_date=timezone.localdate()
    )
    with pytest.raises(FieldErrors) as exc:
        flag_record_clearance(
            actor=therapist_user, flag=flag, clinician="Dr Who", clearance_date=timezone.localdate()
        )
    assert "flag" in exc.value.errors
    flag.refresh_from_db()
    assert flag.clearance_by == "Dr Patel"


@pytest.mark.django_db
def test_front_desk_cannot_run_the_check_or_record_clearance(
    front_desk_user, therapist_user, recent_dvt_client
):
    with pytest.raises(PermissionDenied):
        safety_check_run(actor=front_desk_user, client=recent_dvt_client)
    (flag,) = safety_check_run(actor=therapist_user, client=recent_dvt_client)
    with pytest.raises(PermissionDenied):
        flag_record_clearance(
            actor=front_desk_user, flag=flag, clinician="Dr Patel", clearance_date=timezone.localdate()
        )


# --- Regressions: bugs found while writing these tests -----------------------------------------------------
@pytest.mark.django_db
def test_a_newer_mnsi_exam_of_the_other_version_supersedes_an_old_ulcer(therapist_user, client_of):
    """An ulcer on an old exam without monofilament must not outlive a newer exam with it (a stop flag
    cannot be cleared, so a stale one would block the client for good)."""
    client = client_of()
    response_create(
        actor=therapist_user,
        client=client,
        instrument="mnsi_exam",
        answers=EXAM_NORMAL | {"left.ulceration": "present"},
        administered_at=timezone.now() - datetime.timedelta(days=60),
    )
    assert "foot_ulcer_wound_infection" in open_rule_ids_after_check(therapist_user, client)
    response_create(
        actor=therapist_user, client=client, instrument="mnsi_exam_monofilament", answers=EXAM_MONO_NORMAL
    )
    assert "foot_ulcer_wound_infection" not in open_rule_ids_after_check(therapist_user, client)


@pytest.mark.django_db
def test_a_new_dvt_after_a_clearance_needs_a_new_clearance(therapist_user, client_of):
    """A clearance given for one DVT must not cover a later DVT (reference §2: DVT within ~6 months)."""
    today = timezone.localdate()
    client = client_of(dvt_history=True, dvt_date=today - datetime.timedelta(days=150))
    (flag,) = safety_check_run(actor=therapist_user, client=client)
    flag_record_clearance(actor=therapist_user, flag=flag, clinician="Dr Patel", clearance_date=today)
    # A year later the first DVT is history, then a second DVT happens.
    MedicalContext.objects.filter(client=client).update(dvt_date=today - datetime.timedelta(days=400))
    assert open_rule_ids_after_check(therapist_user, client) == []
    MedicalContext.objects.filter(client=client).update(dvt_date=today - datetime.timedelta(days=10))
    assert "dvt_history" in open_rule_ids_after_check(therapist_user, client)


@pytest.mark.django_db
def test_loss_of_sensation_on_monofilament_outlives_a_later_exam_that_did_not_test_it(
    therapist_user, client_of
):
    """A newer MNSI exam without the monofilament says nothing about protective sensation: the LOPS flag
    raised by an absent monofilament response must stay open."""
    client = client_of()
    response_create(
        actor=therapist_user,
        client=client,
        instrument="mnsi_exam_monofilament",
        answers=EXAM_MONO_NORMAL | {"left.monofilament": "absent"},
        administered_at=timezone.now() - datetime.timedelta(days=60),
    )
    assert "lops" in open_rule_ids_after_check(therapist_user, client)
    response_create(actor=therapist_user, client=client, instrument="mnsi_exam", answers=EXAM_NORMAL)
    assert "lops" in open_rule_ids_after_check(therapist_user, client)


# --- Bugs: the code disagrees with the reference -----------------------------------------------------------
def test_insulin_treated_diabetes_is_a_caution_whatever_caused_the_neuropathy():
    hits = fired(
        conditions=[{"type": "peripheral", "cause": "chemotherapy", "chemotherapy_agent": "oxaliplatin"}],
        medical={"on_insulin_or_sulfonylurea": True, "comorbidities": ["diabetes"]},
    )
    assert hits["hypoglycaemia_risk"].level == "caution"


def open_rule_ids_after_check(actor, client):
    return sorted(f.rule_id for f in safety_check_run(actor=actor, client=client))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("diagnosis", "phase", "rule", "level"),
    [
        ("Guillain-Barré syndrome", "acute", "gbs_acute", "stop"),
        ("Guillain–Barré, recovering", "", "gbs_recovery", "clearance"),
        ("trigeminal neuralgia (left V2)", "", "trigeminal_neuralgia", "modify"),
    ],
)
def test_named_diagnoses_in_free_text_are_recognised(therapist_user, clinic, diagnosis, phase, rule, level):
    from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
    from nervecare.screening.services import safety_check_run

    client = ClientFactory(clinic=clinic)
    ConditionFactory(client=client, type="autoimmune", cause="autoimmune", diagnosis=diagnosis, phase=phase)
    flags = {f.rule_id: f.level for f in safety_check_run(actor=therapist_user, client=client)}
    assert flags.get(rule) == level
