import pytest

from nervecare.footcheck.tests.factories import lops_client, portal_user_for


@pytest.fixture
def ada(clinic, therapist_user):
    """Alice's client with loss of protective sensation."""
    return lops_client(clinic=clinic, actor=therapist_user, first_name="Ada", last_name="Quill")


@pytest.fixture
def ada_user(ada):
    return portal_user_for(ada)
