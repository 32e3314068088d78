"""IndexedResolver (core/routing.py, issue 20) finds for every path what Django's own resolver finds: the same
view, arguments, names and namespaces, and the same 404 for a path no route has."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from nervecare.core.routing import IndexedResolver

SAMPLE = {"int": "7", "str": "abc", "slug": "a-b", "uuid": str(uuid.UUID(int=5)), "path": "a/b.txt"}


def _plain(patterns):
    """The same tree with every IndexedResolver a plain URLResolver: Django's own resolution."""
    out = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out.append(
                URLResolver(p.pattern, _plain(p.url_patterns), p.default_kwargs, p.app_name, p.namespace)
            )
        else:
            out.append(p)
    return out


def _sample_paths(patterns, prefix=""):
    for p in patterns:
        if not isinstance(p.pattern, RoutePattern):
            continue
        route = re.sub(
            r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), str(p.pattern._route)
        )
        if isinstance(p, URLPattern):
            yield prefix + route
        else:
            yield from _sample_paths(p.url_patterns, prefix + route)


def _outcome(resolver, path):
    try:
        m = resolver.resolve(path)
    except Resolver404:
        return "404"
    return (m.func, m.args, m.kwargs, m.url_name, m.app_names, m.namespaces, m.route)


@pytest.fixture(scope="module")
def resolvers():
    real = get_resolver()
    assert any(isinstance(p, IndexedResolver) for p in real.url_patterns)  # the project uses it
    plain = URLResolver(real.pattern, _plain(real.url_patterns))
    return real, plain


def test_every_route_resolves_as_djangos_own_resolver_does(resolvers):
    real, plain = resolvers
    paths = sorted(set(_sample_paths(plain.url_patterns)))
    assert len(paths) > 300
    for route in paths:
        path = "/" + route
        variants = {
            path,
            path.rstrip("/"),
            path + "/",
            path + "x",
            path + "/x/",
            "/x" + path,
            path.replace("/", "//", 1),
            path.replace("7", "-7"),
        }
        for variant in variants:
            assert _outcome(real, variant) == _outcome(plain, variant), variant
        assert _outcome(real, path) != "404", path


def test_unknown_paths_are_404_and_share_a_bounded_index(resolvers):
    real, plain = resolvers
    pages = next(p for p in real.url_patterns if isinstance(p, IndexedResolver) and str(p.pattern) == "")
    real.resolve("/")
    before = len(pages.__dict__["_nc_subsets"])
    for n in range(200):
        path = f"/nothing-{n}/" + "a/" * n
        assert _outcome(real, path) == _outcome(plain, path) == "404"
    # One key per number of "/" up to the longest fixed route, then one for all longer: not one per path.
    assert len(pages.__dict__["_nc_subsets"]) - before <= 12
