"""Django's admin site, for the installation's operator only.

The admin site lists every clinic's rows (users, two-factor devices and their secrets): it is the
installation operator's tool, never a clinic's. Only an active superuser who belongs to no clinic (made with
`nervecare createsuperuser`) may open it; a clinic's people, admins included, manage their clinic in
NerveCare's own pages, and the database refuses to make any of them superuser or staff (core.User's check
constraint)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


def is_operator(user: object) -> bool:
    """The installation's operator: an active superuser outside every clinic."""
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_superuser", False)
        and getattr(user, "clinic_id", None) is None
    )


class OperatorAdminSite(admin.AdminSite):
    site_header = "NerveCare installation (operator only)"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_operator(request.user)


class OperatorAdminConfig(AdminConfig):
    """django.contrib.admin (in INSTALLED_APPS) with the operator's site above as `admin.site`."""

    default_site = "nervecare.core.admin_site.OperatorAdminSite"
