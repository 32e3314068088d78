"""URL resolution that tries only the patterns that could match (issue 20: the per-request framework cost).

Django resolves a path by trying every pattern in order; an include at "" (most apps' pages) is entered and each of
its patterns tried, and every miss is written down for the 404 page's list of tried patterns. With ~210 API routes
and ~15 page includes that took about as long as a bare Django view (0.5-1 ms CPU on each request).

IndexedResolver resolves exactly as the URLResolver it replaces, over fewer patterns: from each child pattern's
route it knows the first path segment the child can match (a literal "clients/..." only paths starting with
"clients/"; an include at "" the union of its children's; anything else, e.g. a converter first or a regex, any),
and how many "/" a matching path has where the routes fix it (endpoints without a multi-segment converter). A path is resolved by a plain
URLResolver over the children that could match it, in their original order, so the first match, and with it the
view, its arguments, names and namespaces, is the one Django would find. Reversing (and the system checks) use
the full list, unchanged. core/tests/test_routing.py compares both on every route of the project.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from django.urls.converters import IntConverter, SlugConverter, StringConverter, UUIDConverter
from django.urls.resolvers import ResolverMatch, RoutePattern

# Converters whose match never holds a "/": a route using only these fixes the number of "/" of its paths.
_ONE_SEGMENT = (IntConverter, SlugConverter, StringConverter, UUIDConverter)

Firsts = frozenset[str] | None  # None: any first segment
Counts = frozenset[int] | None  # None: any number of "/"


def _route(pattern: Any) -> str | None:
    route = getattr(pattern, "_route", None) if type(pattern) is RoutePattern else None
    return route if isinstance(route, str) else None  # not a lazily translated route


def _firsts(child: URLPattern | URLResolver) -> Firsts:
    """The first path segments a child can match (relative to its parent), or None: any."""
    route = _route(child.pattern)
    if route is None:
        return None
    endpoint = isinstance(child, URLPattern)
    if route == "" and isinstance(child, URLResolver):
        found: set[str] = set()
        for grandchild in child.url_patterns:
            sub = _firsts(grandchild)
            if sub is None:
                return None
            found |= sub
        return frozenset(found)
    head, slash, _rest = route.partition("/")
    if "<" in head or (not slash and not endpoint):
        return None  # a converter in the first segment, or a prefix that may run on into a longer segment
    return frozenset([head])


def _slashes(child: URLPattern | URLResolver) -> Counts:
    """How many "/" a path this child matches can have (relative to its parent), or None: any number. Fixed for
    an endpoint whose values are single segments; an include at "" can have its children's."""
    route = _route(child.pattern)
    if route is None:
        return None
    if isinstance(child, URLResolver):
        if route != "":
            return None
        found: set[int] = set()
        for grandchild in child.url_patterns:
            sub = _slashes(grandchild)
            if sub is None:
                return None
            found |= sub
        return frozenset(found)
    if not all(type(c) in _ONE_SEGMENT for c in child.pattern.converters.values()):
        return None
    return frozenset([route.count("/")])


class IndexedResolver(URLResolver):
    """A URLResolver that, for each path, tries only the children that could match it (see the module)."""

    def _index(self) -> tuple[list[tuple[Any, Firsts, Counts]], frozenset[str], int]:
        index = self.__dict__.get("_nc_index")
        if index is None:
            children = [
                # An include at "" (an app's pages) is entered for many paths: it resolves through its own index.
                (
                    indexed(child) if type(child) is URLResolver and _route(child.pattern) == "" else child,
                    firsts,
                    counts,
                )
                for child, firsts, counts in ((c, _firsts(c), _slashes(c)) for c in self.url_patterns)
            ]
            known = frozenset(f for _c, firsts, _s in children if firsts is not None for f in firsts)
            most = max((n for _c, _f, counts in children if counts is not None for n in counts), default=0)
            index = (children, known, most)
            # The subsets' table first: another thread (gthread workers) that finds the index uses it at once.
            self.__dict__.setdefault("_nc_subsets", {})
            self.__dict__["_nc_index"] = index
        return index

    def _subset(self, rest: str) -> URLResolver:
        children, known, most = self._index()
        first = rest.partition("/")[0]
        slashes = rest.count("/")
        # Bounded: a first segment no route names, or more "/" than any fixed route has, shares one key.
        key = (first if first in known else None, slashes if slashes <= most else -1)
        subsets: dict[tuple[str | None, int], URLResolver] = self.__dict__["_nc_subsets"]
        subset = subsets.get(key)
        if subset is None:
            chosen = [
                child
                for child, firsts, counts in children
                if (firsts is None or (key[0] is not None and key[0] in firsts))
                and (counts is None or key[1] in counts)
            ]
            subset = URLResolver(self.pattern, chosen, self.default_kwargs, self.app_name, self.namespace)
            subsets[key] = subset
        return subset

    def resolve(self, path: Any) -> ResolverMatch:
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            return super().resolve(path)  # the miss, as Django reports it
        return self._subset(match[0]).resolve(path)


def indexed(resolver: URLResolver) -> IndexedResolver:
    """`path(prefix, include(...))` or `path(prefix, api.urls)`, resolved through IndexedResolver."""
    return IndexedResolver(
        resolver.pattern,
        resolver.urlconf_name,
        resolver.default_kwargs,
        resolver.app_name,
        resolver.namespace,
    )
