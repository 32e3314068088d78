import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.test.client import ClientMixin

from nervecare.clients.tests.factories import ConsentTextFactory
from nervecare.core.tests.factories import ClinicFactory, TherapistFactory, UserFactory


@pytest.fixture(autouse=True)
def _test_client_sign_ins_pass_two_step(monkeypatch):
    """Two-step sign-in stays required in every test (NERVECARE_REQUIRE_MFA is on), and the real flow through
    the sign-in pages is tested in core/tests/test_auth_*.py. The test client's shortcuts, force_login() and
    login(), stand for a completed sign-in, so for staff they also pass the two-step check with a confirmed
    TOTP device, as a real sign-in would. `force_login(user, otp_verified=False)` leaves the session half
    signed in (password only), to test what the two-step check blocks. The browser tests sign in through the
    pages and are not affected.

    login() gets a request because django-axes checks every authenticate() call against the lockout list.
    """
    original_force_login = ClientMixin.force_login
    original_login = ClientMixin.login

    def force_login(self, user, backend=None, *, otp_verified=True):
        original_force_login(self, user, backend)
        if otp_verified:
            _verify_session(self, user)

    def login(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/accounts/login/"))
        if not original_login(self, **credentials):
            return False
        _verify_session(self, _session_user(self))
        return True

    monkeypatch.setattr(ClientMixin, "force_login", force_login)
    monkeypatch.setattr(ClientMixin, "login", login)


def _session_user(http):
    from django.contrib.auth import SESSION_KEY, get_user_model

    return get_user_model().objects.get(pk=http.session[SESSION_KEY])


def _verify_session(http, user):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from nervecare.core.auth.mfa import mfa_required_for

    if not mfa_required_for(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
    session = http.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def clinic(db):
    clinic = ClinicFactory(name="Riverside", slug="riverside")
    ConsentTextFactory(clinic=clinic, version="1.0")
    return clinic


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Elsewhere", slug="elsewhere")


@pytest.fixture
def therapist_user(clinic):
    """Alice: a therapist with oncology and MLD training, 8 years."""
    user = UserFactory(username="alice", clinic=clinic, role="therapist")
    TherapistFactory(
        user=user,
        clinic=clinic,
        display_name="Alice",
        years_experience=8,
        certifications=["oncology_massage", "mld", "diabetic_foot"],
    )
    return user


@pytest.fixture
def junior_therapist_user(clinic):
    """Bob: a therapist with 1 year and no extra training."""
    user = UserFactory(username="bob", clinic=clinic, role="therapist")
    TherapistFactory(user=user, clinic=clinic, display_name="Bob", years_experience=1, certifications=[])
    return user


@pytest.fixture
def front_desk_user(clinic):
    return UserFactory(username="frank", clinic=clinic, role="front_desk")


@pytest.fixture
def other_clinic_user(other_clinic):
    user = UserFactory(username="olga", clinic=other_clinic, role="therapist")
    TherapistFactory(
        user=user, clinic=other_clinic, display_name="Olga", years_experience=10, certifications=[]
    )
    return user


@pytest.fixture
def api(therapist_user):
    """A signed-in HTTP client for Alice (JSON helpers: api.post(url, data, content_type=...))."""
    http = HttpClient()
    http.force_login(therapist_user)
    return http


def login(user):
    http = HttpClient()
    http.force_login(user)
    return http
