"""Every set-up route, enumerated from the URL map (so a new one is covered): admins only, their clinic only."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from nervecare.conftest import login

pytestmark = pytest.mark.django_db


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def setup_routes(ids):
    """(method, url, has_object) for every set-up page and API operation, with `ids` for the parameters."""
    out = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if not (
            route.startswith("setup/") or route.startswith("invite/") or route.startswith("api/v1/setup/")
        ):
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)
        object_params = [p for p in params if p not in ("action", "uidb64", "token")]
        if route.startswith("api/"):
            path_view = next(
                (
                    c.cell_contents
                    for c in (pattern.callback.__closure__ or ())
                    if hasattr(c.cell_contents, "operations")
                ),
                None,
            )
            for operation in path_view.operations if path_view else []:
                if (
                    operation.view_func.__name__ == pattern.name
                    or getattr(operation, "url_name", None) == pattern.name
                ):
                    for method in operation.methods:
                        out.append((method, url, bool(object_params)))
        else:
            posts_only = ("staff_action", "time_off_remove", "closure_remove", "holidays_import")
            out.append(("POST" if pattern.name in posts_only else "GET", url, bool(object_params)))
    return out


@pytest.fixture
def ids(owner, therapist_user, clinic):
    return {
        "staff_id": therapist_user.id,
        "therapist_id": therapist_user.therapist.id,
        "service_id": 1,
        "room_id": 1,
        "closure_id": 1,
        "exception_id": 1,
        "action": "resend",
        "uidb64": "MQ",
        "token": "x",
    }


def test_the_walk_finds_every_page_and_operation(ids):
    routes = setup_routes(ids)
    assert len([r for r in routes if r[1].startswith("/api/")]) >= 20
    assert len([r for r in routes if r[1].startswith("/setup/")]) >= 18


@pytest.mark.parametrize("role", ["therapist", "front_desk", "client"])
def test_only_admins_reach_the_set_up(role, ids, clinic, therapist_user, front_desk_user):
    from nervecare.core.tests.factories import UserFactory

    user = {"therapist": therapist_user, "front_desk": front_desk_user}.get(role) or UserFactory(
        clinic=clinic, role="client"
    )
    http = login(user)
    for method, url, _ in setup_routes(ids):
        if "/invite/" in url:
            continue
        if url.startswith("/api/"):
            response = http.generic(method, url, data="{}", content_type="application/json")
        else:
            response = http.generic(method, url)
        # An API write with an empty body may fail its schema (422) before the role check: nothing is written
        # either way (the permission matrix sends valid bodies and checks the refusal itself).
        allowed = (302, 403, 404, 422) if url.startswith("/api/") and method != "GET" else (302, 403, 404)
        assert response.status_code in allowed, (role, method, url, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].split("?")[0] in ("/accounts/login/", "/portal/", "/"), url
    assert reverse("setup:home") == "/setup/"
