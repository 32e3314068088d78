"""The diary asks the claims' questions that concern the client, and refuses bad answers by field."""

import pytest
from django.utils import timezone

from nervecare.clients.models import Condition, MedicalContext
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.portal.models import DiaryEntry
from nervecare.portal.services import diary_entry_save

pytestmark = pytest.mark.django_db
RATINGS = {"pain": 5, "numbness": 4, "tingling": 3, "sleep": 2}


def _with_cramps_and_migraine(client):
    Condition.objects.create(client=client, type="peripheral", cause="diabetes_t2", cramps=5)
    MedicalContext.objects.create(client=client, comorbidities=["migraine"])


def test_page_shows_only_the_questions_that_apply(carla, dan):
    user, client = carla
    _with_cramps_and_migraine(client)
    page = login(user).get("/portal/diary/").content.decode()
    assert 'name="cramp_count"' in page and 'name="headache"' in page and 'name="sleep_quality"' in page
    assert 'name="joint_pain"' not in page
    other = login(dan[0]).get("/portal/diary/").content.decode()
    assert 'name="cramp_count"' not in other and 'name="headache"' not in other


def test_page_saves_the_answers(carla):
    user, client = carla
    _with_cramps_and_migraine(client)
    today = timezone.localdate().isoformat()
    data = {"day": today, "pain": "5", "numbness": "6", "tingling": "4", "sleep": "3"}
    data |= {"sleep_quality": "7", "cramp_count": "2", "cramp_worst": "6", "headache": "yes"}
    assert login(user).post("/portal/diary/", data).status_code == 302
    entry = DiaryEntry.objects.get(client=client)
    assert (entry.sleep_quality, entry.cramp_count, entry.cramp_worst, entry.headache) == (7, 2, 6, True)
    assert entry.joint_pain is None
    bad = login(user).post("/portal/diary/", {**data, "cramp_count": "99"})
    assert bad.status_code == 422
    assert DiaryEntry.objects.get(client=client).cramp_count == 2


@pytest.mark.parametrize(
    ("measures", "field"),
    [
        ({"cramp_count": 51}, "cramp_count"),
        ({"cramp_worst": 11}, "cramp_worst"),
        ({"sleep_quality": -1}, "sleep_quality"),
        ({"headache": "maybe"}, "headache"),
        ({"cramp_count": True}, "cramp_count"),
        ({"joint_pain": 3}, "joint_pain"),  # not asked of her: no arthritis
        ({"mood": 3}, "mood"),
    ],
)
def test_service_refuses_bad_answers_by_field(carla, measures, field):
    user, client = carla
    _with_cramps_and_migraine(client)
    with pytest.raises(FieldErrors) as exc:
        diary_entry_save(user=user, day=timezone.localdate(), ratings=RATINGS, measures=measures)
    assert set(exc.value.errors) == {field}
    assert not DiaryEntry.objects.filter(client=client).exists()


def test_sleep_is_asked_once_and_older_answers_are_kept(carla):
    """One sleep question in the diary (how well you slept, the claims' measure, as at intake); the older
    "how much did symptoms disturb your sleep" is not asked, and entries that have it keep it."""
    import datetime

    user, client = carla
    http = login(user)
    page = http.get("/portal/diary/").content.decode()
    assert 'name="sleep"' not in page and page.count('name="sleep_quality"') == 11  # one 0-10 question
    assert page.lower().count("sleep?") == 1 and "How well did you sleep?" in page
    assert "disturb your sleep" not in page
    today = timezone.localdate()
    older = DiaryEntry.objects.create(
        client=client, day=today - datetime.timedelta(days=3), pain=6, numbness=5, tingling=5, sleep=7
    )
    data = {"day": today.isoformat(), "pain": "5", "numbness": "6", "tingling": "4", "sleep_quality": "8"}
    assert http.post("/portal/diary/", data).status_code == 302
    entry = DiaryEntry.objects.get(client=client, day=today)
    assert (entry.sleep_quality, entry.sleep) == (8, None)
    # Rewriting the older day through the page keeps its "sleep disturbed" answer.
    again = {**data, "day": older.day.isoformat(), "pain": "4"}
    assert http.post("/portal/diary/", again).status_code == 302
    older.refresh_from_db()
    assert (older.pain, older.sleep, older.sleep_quality) == (4, 7, 8)
    # A caller that still sends it is checked like any rating.
    with pytest.raises(FieldErrors) as exc:
        diary_entry_save(user=user, day=today, ratings={**RATINGS, "sleep": 11})
    assert set(exc.value.errors) == {"sleep"}
    progress = http.get("/portal/progress/").content.decode()
    assert "Slept well (10 = very well)" in progress and "Sleep disturbed (earlier diary days)" in progress
