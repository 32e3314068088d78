"""The therapist's programme page and the client's portal pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.selfcare.models import CheckOff, Programme, ReminderSetting
from nervecare.selfcare.tests.factories import ProgrammeFactory, ProgrammeItemFactory

pytestmark = pytest.mark.django_db


def _page(client):
    return reverse("selfcare:programme", args=[client.id])


def test_the_page_shows_refused_items_with_the_reason(api, lops_client):
    response = api.get(_page(lops_client))
    text = response.content.decode()
    assert response.status_code == 200
    assert 'value="warm_foot_soak" id="id_items_warm_foot_soak" disabled' in text
    assert "Not for this client" in text and "no heat and no foot soaking" in text
    assert AuditEvent.objects.filter(summary="Home programme page viewed").exists()


def test_assign_from_the_page(api, lops_client):
    today = timezone.localdate().isoformat()
    response = api.post(
        _page(lops_client), {"items": ["foot_inspection", "shoe_check"], "starts_on": today, "reason": "Feet"}
    )
    assert response.status_code == 302
    assert Programme.objects.get().items.count() == 2


def test_a_posted_refused_item_is_refused_on_the_items_field(api, lops_client):
    today = timezone.localdate().isoformat()
    response = api.post(
        _page(lops_client), {"items": ["warm_pack_feet"], "starts_on": today, "reason": "Feet"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Self-care items" in text and "Warm pack on the feet or calves cannot be assigned" in text
    assert not Programme.objects.exists()


def test_bad_dates_are_refused_by_field(api, lops_client):
    response = api.post(
        _page(lops_client), {"items": ["foot_inspection"], "starts_on": "not a date", "reason": "x"}
    )
    assert response.status_code == 422 and "Enter a valid date" in response.content.decode()


def test_change_and_end_from_the_page(api, lops_client):
    programme = ProgrammeFactory(client=lops_client, starts_on=timezone.localdate())
    ProgrammeItemFactory(programme=programme, item_code="foot_inspection")
    url = reverse("selfcare:programme_change", args=[lops_client.id, programme.id])
    assert api.post(url, {"add_items": ["shoe_check"], "reason": "Shoes"}).status_code == 302
    assert programme.changes.get().reason == "Shoes"
    refused = api.post(url, {"add_items": ["warm_foot_soak"], "reason": "heat"})
    assert refused.status_code == 422 and "Loss of protective sensation" in refused.content.decode()
    end = reverse("selfcare:programme_end", args=[lops_client.id, programme.id])
    assert api.post(end, {"reason": ""}).status_code == 422
    assert api.post(end, {"reason": "Finished"}).status_code == 302
    programme.refresh_from_db()
    assert programme.status == "ended"


def test_other_roles_may_not_open_the_page(lops_client, junior_therapist_user, front_desk_user, ada_user):
    assert login(junior_therapist_user).get(_page(lops_client)).status_code == 404
    assert login(front_desk_user).get(_page(lops_client)).status_code == 403
    assert login(ada_user).get(_page(lops_client)).status_code in (302, 403)


def test_plan_and_note_pages_link_here(api, lops_client):
    from nervecare.clients.tests.factories import ConditionFactory
    from nervecare.plans.services import plan_propose

    ConditionFactory(client=lops_client)
    plan, _ = plan_propose(actor=lops_client.primary_therapist.user, client=lops_client)
    text = api.get(reverse("plans:plan", args=[lops_client.id, plan.id])).content.decode()
    assert f"{_page(lops_client)}?from=plan&amp;plan={plan.id}" in text


@pytest.fixture
def ada_programme(lops_client):
    programme = ProgrammeFactory(
        client=lops_client, starts_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    return ProgrammeItemFactory(programme=programme, item_code="foot_inspection", note="Use the mirror")


def test_portal_today_tick_and_untick(ada_user, ada_programme):
    http = login(ada_user)
    text = http.get(reverse("portal:selfcare")).content.decode()
    assert "Look at both feet" in text and "Use the mirror" in text and "Mark Look at both feet done" in text
    response = http.post(
        reverse("portal:selfcare_tick"), {"item_id": ada_programme.id, "rating": "6", "note": "ok"}
    )
    assert response.status_code == 302
    assert CheckOff.objects.get().rating == 6
    assert "Done today" in http.get(reverse("portal:selfcare")).content.decode()
    http.post(reverse("portal:selfcare_untick"), {"item_id": ada_programme.id})
    assert not CheckOff.objects.exists()


def test_portal_bad_rating_is_refused_by_field(ada_user, ada_programme):
    http = login(ada_user)
    response = http.post(reverse("portal:selfcare_tick"), {"item_id": ada_programme.id, "rating": "12"})
    assert response.status_code == 422
    assert "How it went (0-10)" in response.content.decode()
    assert not CheckOff.objects.exists()


def test_portal_reminder_time(ada_user, ada_programme):
    http = login(ada_user)
    response = http.post(
        reverse("portal:selfcare_reminder"), {"reminder_enabled": "on", "remind_at": "18:30"}
    )
    assert response.status_code == 302
    assert ReminderSetting.objects.get().remind_at == datetime.time(18, 30)
    bad = http.post(reverse("portal:selfcare_reminder"), {"reminder_enabled": "on", "remind_at": "25:99"})
    assert bad.status_code == 422 and "Enter a valid time" in bad.content.decode()


def test_portal_week(ada_user, ada_programme):
    from nervecare.selfcare.tests.factories import CheckOffFactory

    CheckOffFactory(item=ada_programme, day=timezone.localdate(), rating=3)
    http = login(ada_user)
    text = http.get(reverse("portal:selfcare_week")).content.decode()
    assert "Look at both feet" in text and "3/10" in text
    assert http.get(reverse("portal:selfcare_week") + "?week=garbage").status_code == 200
