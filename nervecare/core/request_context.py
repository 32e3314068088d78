"""What the audit trail needs to know about the HTTP request being served, without services taking the request.

`RequestContextMiddleware` (first in MIDDLEWARE) binds a `RequestContext` to the request for as long as it is
served (a context variable: each thread or task sees its own). The audit trail reads the client's address from it
and remembers which objects this request has already recorded a read of (one read event per object per request).
Outside a request (management commands, jobs, tests calling services directly) there is none: no address, and
every read is recorded."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse


@dataclass
class RequestContext:
    ip: str | None = None
    seen: set[tuple[str, Any]] = field(default_factory=set)  # (model label, pk) read in this request
    request: HttpRequest | None = None  # for site_url(): the address the visitor used


_current: ContextVar[RequestContext | None] = ContextVar("nervecare_request_context", default=None)


def current() -> RequestContext | None:
    """The context of the request being served, or None outside a request."""
    return _current.get()


def normal_ip(ip: str | None) -> str | None:
    """The address as stored in the audit trail: a valid IP (an IPv4-mapped IPv6 address as its IPv4), or None."""
    if not ip:
        return None
    try:
        address = ip_address(ip.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:10.0.0.5) is that IPv4 address. Stored as written
    # otherwise: the databases spell a mapped address differently from Python (the audit hash must match).
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).compressed


LOCAL_SITE = "http://127.0.0.1:8000"


def site_url() -> str:
    """The site's address for links in e-mails (no trailing slash): NERVECARE_PUBLIC_URL when set, else the
    address of the request being served (so a link is never relative), else the local development server
    (a job or a command outside any request)."""
    public = (getattr(settings, "NERVECARE_PUBLIC_URL", "") or "").rstrip("/")
    if public:
        return public
    context = _current.get()
    if context is not None and context.request is not None:
        try:
            return context.request.build_absolute_uri("/").rstrip("/")
        except DisallowedHost:
            pass
    return LOCAL_SITE


@contextmanager
def bound(request: HttpRequest) -> Iterator[RequestContext]:
    """Bind a fresh context for `request` until the block ends."""
    token = _current.set(RequestContext(ip=normal_ip(request.META.get("REMOTE_ADDR")), request=request))
    try:
        yield _current.get()  # type: ignore[misc]  # just set: never None here
    finally:
        _current.reset(token)


class RequestContextMiddleware:
    """Binds the request's context (see the module docstring) while the request is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bound(request):
            return self.get_response(request)
