"""Django's admin site is the installation operator's alone (issue 14, finding 6): a clinic's admin can
neither open it nor see any clinic's two-factor devices, and nothing can make a clinic's people superusers."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from nervecare.conftest import login
from nervecare.core.models import User
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(admin_user, other_clinic_user):
    """A confirmed TOTP device in each clinic."""
    return [
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        for user in (admin_user, other_clinic_user)
    ]


def _admin_urls(devices):
    return [
        reverse("admin:index"),
        reverse("admin:otp_totp_totpdevice_changelist"),
        *(reverse("admin:otp_totp_totpdevice_change", args=[d.pk]) for d in devices),
        reverse("admin:otp_totp_totpdevice_config", args=[devices[1].pk]),
        reverse("admin:otp_totp_totpdevice_qrcode", args=[devices[1].pk]),
    ]


def test_a_clinic_admin_cannot_open_the_admin_site_nor_any_totp_device(admin_user, devices):
    http = login(admin_user)
    for url in _admin_urls(devices):
        response = http.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith(reverse("admin:login")), url
        assert devices[1].key.encode() not in response.content


def test_a_clinic_admin_cannot_sign_in_on_the_admin_login_page(admin_user):
    response = login(admin_user).get(reverse("admin:login"))
    assert response.status_code == 200  # the sign-in form again, for a staff account: not the index
    assert b"otp_totp" not in response.content


def test_the_installation_operator_uses_the_admin_site(devices):
    operator = User.objects.create_superuser("operator", "op@example.org", "a-long-operator-password")
    assert operator.clinic_id is None
    http = login(operator)
    assert http.get(reverse("admin:index")).status_code == 200
    assert http.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 200


@pytest.mark.parametrize("flags", [{"is_superuser": True}, {"is_staff": True}])
def test_the_database_refuses_a_superuser_or_staff_member_of_a_clinic(admin_user, flags):
    for name, value in flags.items():
        setattr(admin_user, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        admin_user.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(role="admin", **flags)


def test_the_demo_clinic_admin_is_neither_superuser_nor_staff():
    call_command("demo", stdout=StringIO())
    owner = User.objects.get(username="owner")
    assert owner.role == "admin" and owner.clinic_id is not None
    assert not owner.is_superuser and not owner.is_staff
    assert not User.objects.filter(clinic__isnull=False, is_superuser=True).exists()
    assert not User.objects.filter(clinic__isnull=False, is_staff=True).exists()


def test_the_migration_takes_superuser_and_staff_from_existing_clinic_people(admin_user):
    """Accounts made before core.0006 (the demo's owner was a superuser) lose both flags."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("nervecare.core.migrations.0006_clinic_people_not_superuser")
    operator = User.objects.create_superuser("operator", "op@example.org", "a-long-operator-password")
    with connection.cursor() as cursor:  # the state before core.0006: no constraint yet
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check pending before the ALTER
            cursor.execute(
                "ALTER TABLE core_user DROP CONSTRAINT core_user_clinic_member_not_superuser_or_staff"
            )
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        cursor.execute(
            "UPDATE core_user SET is_superuser = TRUE, is_staff = TRUE WHERE id = %s", [admin_user.pk]
        )
    try:
        migration.clinic_people_lose_superuser_and_staff(apps, None)
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    admin_user.refresh_from_db()
    operator.refresh_from_db()
    assert (admin_user.is_superuser, admin_user.is_staff, admin_user.role) == (False, False, "admin")
    assert operator.is_superuser and operator.is_staff  # the operator keeps the admin site
