"""Adherence (share of assigned item-days done), today's items, the week view, what may be assigned."""

import datetime

import pytest

from nervecare.selfcare import selectors
from nervecare.selfcare.rules import expected_in_week
from nervecare.selfcare.tests.factories import (
    CheckOffFactory,
    ProgrammeFactory,
    ProgrammeItemFactory,
    SafetyFlagFactory,
)

pytestmark = pytest.mark.django_db
MONDAY = datetime.date(2026, 11, 2)


def test_expected_days_follow_the_items_frequency():
    assert expected_in_week(7, 7) == 7
    assert expected_in_week(7, 3) == 3
    assert expected_in_week(3, 7) == 3
    assert expected_in_week(3, 3) == 2  # 3 of 7 days of a 3-a-week item: 9/7 rounded up
    assert expected_in_week(0, 7) == 0


def test_adherence_per_week_is_the_share_of_item_days_done(lops_client):
    programme = ProgrammeFactory(client=lops_client, starts_on=MONDAY)
    daily = ProgrammeItemFactory(programme=programme, item_code="foot_inspection")
    three = ProgrammeItemFactory(programme=programme, item_code="calf_self_massage_firm")
    for i in range(5):  # week 1: 5 of 7 daily, 3 of 3 (4 ticks: capped at 3)
        CheckOffFactory(item=daily, day=MONDAY + datetime.timedelta(days=i))
    for i in range(4):
        CheckOffFactory(item=three, day=MONDAY + datetime.timedelta(days=i))
    CheckOffFactory(
        item=daily, day=MONDAY + datetime.timedelta(days=7)
    )  # week 2 (to Wednesday): 1 of 3 + 0 of 2
    weeks = selectors.adherence_by_week(lops_client, weeks=4, today=MONDAY + datetime.timedelta(days=9))
    assert [(w.week_start, w.expected, w.done) for w in weeks] == [
        (MONDAY, 10, 8),
        (MONDAY + datetime.timedelta(days=7), 5, 1),
    ]
    assert weeks[0].percent == 80


def test_an_item_paused_by_a_later_flag_is_not_expected_from_that_day(lops_client):
    programme = ProgrammeFactory(client=lops_client, starts_on=MONDAY)
    ProgrammeItemFactory(programme=programme, item_code="ankle_circles")
    SafetyFlagFactory(
        client=lops_client,
        rule_id="suspected_dvt",
        raised_at=datetime.datetime(2026, 11, 5, 9, tzinfo=datetime.UTC),
    )
    weeks = selectors.adherence_by_week(lops_client, weeks=1, today=MONDAY + datetime.timedelta(days=6))
    assert weeks[0].expected == 3  # Monday to Wednesday; paused from Thursday


def test_summaries_for_many_clients_in_a_fixed_number_of_queries(
    lops_client, clinic, django_assert_num_queries
):
    from nervecare.clients.tests.factories import ClientFactory

    ids = []
    for n in range(6):
        client = lops_client if n == 0 else ClientFactory(clinic=clinic)
        programme = ProgrammeFactory(client=client, starts_on=MONDAY)
        item = ProgrammeItemFactory(programme=programme, item_code="foot_inspection")
        CheckOffFactory(item=item, day=MONDAY)
        ids.append(client.pk)
    with django_assert_num_queries(4):
        found = selectors.adherence_summaries(ids, today=MONDAY + datetime.timedelta(days=6), weeks=2)
    assert found[lops_client.pk].expected == 7 and found[lops_client.pk].done == 1
    assert found[lops_client.pk].last_check_off_on == MONDAY
    assert selectors.adherence_band(found[lops_client.pk].share) == "low"


def test_assignable_items_show_the_reason_for_each_refusal(lops_client):
    options = {o.item.code: o for o in selectors.assignable_items(lops_client)}
    assert options["foot_inspection"].allowed
    soak = options["warm_foot_soak"]
    assert not soak.allowed and soak.refusals[0].flag == "lops"
    assert "no heat" in soak.refusals[0].reason


def test_today_and_the_week(lops_client, ada_user):
    today = selectors.client_today(lops_client)
    programme = ProgrammeFactory(client=lops_client, starts_on=today - datetime.timedelta(days=3))
    pi = ProgrammeItemFactory(programme=programme, item_code="foot_inspection")
    CheckOffFactory(item=pi, day=today, rating=2)
    items = selectors.today_items(lops_client)
    assert items[0].done is not None and items[0].done.rating == 2
    week = selectors.week_view(lops_client)
    cell = next(c for c in week["rows"][0].cells if c["day"] == today)
    assert cell["done"] and cell["rating"] == 2
