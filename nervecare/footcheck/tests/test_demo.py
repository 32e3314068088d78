"""The demo's foot checks: a client with loss of protective sensation with a missed streak, shown to their
therapist; idempotent."""

import pytest

from nervecare.footcheck.models import FootCheck
from nervecare.footcheck.selectors import foot_check_watch
from nervecare.footcheck.tests.factories import diabetic_client
from nervecare.ops.demo.footcheck import seed_foot_checks

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_missed_streak_once(ada, clinic, therapist_user):
    other = diabetic_client(clinic=clinic, actor=therapist_user, first_name="Dee", last_name="Daily")
    written = seed_foot_checks(clinic)
    assert written == 9 + 14
    assert seed_foot_checks(clinic) == 0  # idempotent
    rows = {r.client.pk: r for r in foot_check_watch(therapist_user, everyone=True)}
    assert rows[ada.pk].stopped and rows[ada.pk].days_since == 6
    assert not rows[other.pk].stopped and rows[other.pk].red_flags == []
    assert FootCheck.objects.filter(client=other, needs_attention=True).count() == 1
    assert [r.client.pk for r in foot_check_watch(therapist_user)] == [ada.pk]
