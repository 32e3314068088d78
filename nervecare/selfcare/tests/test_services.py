"""Programmes, refusals by safety flag, history, check-offs and the reminder setting."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.selfcare import services
from nervecare.selfcare.models import CheckOff, Programme, ProgrammeChange, ProgrammeItem
from nervecare.selfcare.services import ItemChoice
from nervecare.selfcare.tests.factories import SafetyFlagFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _assign(actor, client, codes=("foot_inspection", "ankle_circles"), **kw):
    kw.setdefault("starts_on", TODAY())
    kw.setdefault("reason", "Home care between the weekly sessions")
    return services.programme_assign(actor=actor, client=client, items=[ItemChoice(c) for c in codes], **kw)


def test_assign_keeps_who_and_why_in_the_history_and_the_audit_trail(therapist_user, lops_client):
    programme = _assign(therapist_user, lops_client)
    assert [pi.item_code for pi in programme.items.all()] == ["foot_inspection", "ankle_circles"]
    change = programme.changes.get()
    assert (change.action, change.by, change.reason) == (
        "created",
        therapist_user,
        "Home care between the weekly sessions",
    )
    assert change.detail["items"] == ["foot_inspection", "ankle_circles"]
    event = AuditEvent.objects.filter(object_type="selfcare.programme", object_id=str(programme.pk)).get()
    assert event.actor == therapist_user and event.client_id == lops_client.pk


@pytest.mark.parametrize("code", ["warm_foot_soak", "warm_pack_feet"])
def test_heat_items_are_refused_with_loss_of_protective_sensation_with_the_reason(
    therapist_user, lops_client, code
):
    with pytest.raises(FieldErrors) as exc:
        _assign(therapist_user, lops_client, codes=("foot_inspection", code))
    message = exc.value.errors["items[1].item_code"]
    assert "Loss of protective sensation" in message and "heat" in message
    assert not Programme.objects.exists() and not ProgrammeItem.objects.exists()


def test_without_the_flag_the_heat_item_may_be_assigned(therapist_user, clinic):
    from nervecare.clients.tests.factories import ClientFactory

    client = ClientFactory(clinic=clinic)
    programme = _assign(therapist_user, client, codes=("warm_foot_soak",))
    assert programme.items.get().item_code == "warm_foot_soak"


def test_deep_calf_massage_is_refused_with_a_dvt_flag(therapist_user, lops_client):
    SafetyFlagFactory(client=lops_client, rule_id="dvt_history", area="left leg")
    with pytest.raises(FieldErrors) as exc:
        _assign(therapist_user, lops_client, codes=("calf_self_massage_firm",))
    assert "Recent deep vein thrombosis" in exc.value.errors["items[0].item_code"]


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"codes": ()}, "items", "at least one"),
        ({"codes": ("nope",)}, "items[0].item_code", "unknown self-care item"),
        ({"codes": ("ankle_circles", "ankle_circles")}, "items[1].item_code", "twice"),
        ({"reason": "  "}, "reason", "say why"),
        ({"starts_on": None}, "starts_on", "required"),
        ({"ends_on": TODAY() - datetime.timedelta(days=1)}, "ends_on", "on or after"),
        ({"ends_on": TODAY() + datetime.timedelta(days=1000)}, "ends_on", "two years"),
        ({"starts_on": TODAY() - datetime.timedelta(days=30)}, "starts_on", "in the past"),
    ],
)
def test_bad_input_is_refused_by_field(therapist_user, lops_client, kwargs, field, words):
    with pytest.raises(FieldErrors) as exc:
        _assign(therapist_user, lops_client, **kwargs)
    assert words in exc.value.errors[field]
    assert not Programme.objects.exists()


def test_only_clinical_staff_assign(front_desk_user, ada_user, lops_client):
    for who in (front_desk_user, ada_user):
        with pytest.raises(PermissionDenied):
            _assign(who, lops_client)


def test_one_active_programme_per_client(therapist_user, lops_client):
    _assign(therapist_user, lops_client)
    with pytest.raises(FieldErrors, match="already has an active"):
        _assign(therapist_user, lops_client)


def test_update_adds_removes_and_moves_dates_each_with_a_history_row(therapist_user, lops_client):
    programme = _assign(therapist_user, lops_client)
    end = TODAY() + datetime.timedelta(days=42)
    services.programme_update(
        actor=therapist_user,
        programme=programme,
        reason="Hands are numb too",
        add_items=[ItemChoice("finger_glides", note="Both hands")],
        remove_items=["ankle_circles"],
        ends_on=end,
    )
    actions = list(programme.changes.values_list("action", flat=True))
    assert actions == ["created", "item_removed", "item_added", "dates_changed"]
    assert set(ProgrammeChange.objects.values_list("reason", flat=True)) >= {"Hands are numb too"}
    live = {pi.item_code: pi for pi in programme.items.filter(removed_at__isnull=True)}
    assert set(live) == {"foot_inspection", "finger_glides"} and live["finger_glides"].ends_on == end
    removed = programme.items.get(item_code="ankle_circles")
    assert removed.removed_by == therapist_user and removed.ends_on < TODAY()


def test_update_refuses_a_contraindicated_addition_with_the_reason(therapist_user, lops_client):
    programme = _assign(therapist_user, lops_client)
    with pytest.raises(FieldErrors) as exc:
        services.programme_update(
            actor=therapist_user,
            programme=programme,
            reason="try heat",
            add_items=[ItemChoice("warm_pack_feet")],
        )
    assert "Loss of protective sensation" in exc.value.errors["add_items[0].item_code"]
    assert programme.changes.count() == 1


def test_end_keeps_history_and_check_offs(therapist_user, lops_client, ada_user):
    programme = _assign(therapist_user, lops_client)
    pi = programme.items.first()
    services.check_off(actor=ada_user, client=lops_client, item_id=pi.id)
    services.programme_end(actor=therapist_user, programme=programme, reason="Course finished")
    programme.refresh_from_db()
    assert programme.status == "ended" and programme.ends_on == TODAY()
    assert CheckOff.objects.count() == 1
    with pytest.raises(FieldErrors, match="already"):
        services.programme_end(actor=therapist_user, programme=programme, reason="again")


def test_check_off_once_a_day_with_rating_and_note(therapist_user, lops_client, ada_user):
    pi = _assign(therapist_user, lops_client).items.first()
    services.check_off(actor=ada_user, client=lops_client, item_id=pi.id, rating=3, note="Left sole red")
    again = services.check_off(actor=ada_user, client=lops_client, item_id=pi.id, rating=5)
    assert CheckOff.objects.count() == 1 and again.rating == 5
    assert services.check_off_undo(actor=ada_user, client=lops_client, item_id=pi.id, day=TODAY())
    assert not CheckOff.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rating": 11}, "rating"),
        ({"rating": -1}, "rating"),
        ({"note": "x" * 501}, "note"),
        ({"day": TODAY() + datetime.timedelta(days=1)}, "day"),
        ({"day": TODAY() - datetime.timedelta(days=8)}, "day"),
        ({"item_id": 999999}, "item_id"),
    ],
)
def test_check_off_bad_input_by_field(therapist_user, lops_client, ada_user, kwargs, field):
    pi = _assign(therapist_user, lops_client).items.first()
    kwargs.setdefault("item_id", pi.id)
    with pytest.raises(FieldErrors) as exc:
        services.check_off(actor=ada_user, client=lops_client, **kwargs)
    assert field in exc.value.errors
    assert not CheckOff.objects.exists()


def test_a_client_may_not_tick_another_clients_items(therapist_user, lops_client, clinic):
    from nervecare.clients.tests.factories import ClientFactory
    from nervecare.core.tests.factories import UserFactory
    from nervecare.portal.models import ClientAccount

    pi = _assign(therapist_user, lops_client).items.first()
    other = ClientFactory(clinic=clinic)
    bea = UserFactory(username="bea-portal", clinic=clinic, role="client")
    ClientAccount.objects.create(client=other, user=bea)
    with pytest.raises(PermissionDenied):
        services.check_off(actor=bea, client=lops_client, item_id=pi.id)
    with pytest.raises(FieldErrors):  # through her own record, the item is not hers
        services.check_off(actor=bea, client=other, item_id=pi.id)


def test_reminder_needs_a_time_and_an_email(ada_user, lops_client):
    with pytest.raises(FieldErrors) as exc:
        services.reminder_set(actor=ada_user, client=lops_client, remind_at=None)
    assert "remind_at" in exc.value.errors
    setting = services.reminder_set(actor=ada_user, client=lops_client, remind_at=datetime.time(19, 30))
    assert setting.remind_at == datetime.time(19, 30) and setting.enabled
    lops_client.email = ""
    lops_client.save()
    with pytest.raises(FieldErrors) as exc:
        services.reminder_set(actor=ada_user, client=lops_client, remind_at=datetime.time(8, 0))
    assert "reminder_enabled" in exc.value.errors
