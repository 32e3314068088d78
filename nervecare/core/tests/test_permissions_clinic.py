"""`clinic_id_of`: the clinic a lookup is scoped to, and a 403 (never a lookup for "no clinic") without one."""

import pytest
from django.core.exceptions import PermissionDenied

from nervecare.core.permissions import clinic_id_of
from nervecare.core.tests.factories import UserFactory


def test_the_users_clinic(therapist_user, clinic):
    assert clinic_id_of(therapist_user) == clinic.id


@pytest.mark.django_db
def test_a_user_without_a_clinic_is_refused():
    drifter = UserFactory(username="drifter", clinic=None, role="therapist")
    with pytest.raises(PermissionDenied):
        clinic_id_of(drifter)
