"""The demo seeds home programmes: a client with loss of protective sensation gets foot care (never heat),
three weeks of check-offs; a second run adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from nervecare.selfcare.models import CheckOff, Programme
from nervecare.selfcare.selectors import adherence_summaries, assignable_items


@pytest.mark.django_db
def test_demo_programmes_check_offs_and_a_portal_sign_in():
    call_command("demo", stdout=StringIO())
    programmes = list(Programme.objects.all())
    assert 2 <= len(programmes) <= 4
    assert CheckOff.objects.count() > 20
    lops = next(p.client for p in programmes if p.client.flags.filter(rule_id="lops", status="open").exists())
    options = {o.item.code: o for o in assignable_items(lops)}
    assert not options["warm_foot_soak"].allowed
    codes = set(Programme.objects.get(client=lops).items.values_list("item_code", flat=True))
    assert "warm_foot_soak" not in codes and "foot_inspection" in codes
    summaries = adherence_summaries([p.client_id for p in programmes])
    assert all(s.expected > 0 for s in summaries.values())
    before = (Programme.objects.count(), CheckOff.objects.count())
    call_command("demo", stdout=StringIO())
    assert (Programme.objects.count(), CheckOff.objects.count()) == before
