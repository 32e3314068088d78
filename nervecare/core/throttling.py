"""API rate limits on django-ninja's throttles, counted in Django's cache (Redis when REDIS_URL is set, so
every app process shares the counters).

The rates are read from the settings on each request (NERVECARE_API_RATE per signed-in user,
NERVECARE_API_ANON_RATE per IP address for requests without valid credentials), so they can be changed
per deployment and in tests. A refused request gets 429 JSON with a Retry-After header.
"""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import AnonRateThrottle, BaseThrottle, SimpleRateThrottle, UserRateThrottle


class _SettingsRate(SimpleRateThrottle):
    setting = ""

    def __init__(self) -> None:  # the rate is looked up per request, not fixed at import
        self.rate = None
        self.num_requests, self.duration = None, None

    def allow_request(self, request: HttpRequest) -> bool:
        self.cache = cache  # the configured default cache, looked up now (tests may swap it)
        self.rate = getattr(settings, self.setting, "") or None
        if self.rate is None or self.rate.strip().lower() in {"off", "none", "0"}:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class ApiUserThrottle(_SettingsRate, UserRateThrottle):
    """Per signed-in user (bearer token or session): NERVECARE_API_RATE."""

    scope = "api-user"
    setting = "NERVECARE_API_RATE"


class ApiAnonThrottle(_SettingsRate, AnonRateThrottle):
    """Per IP address for the operations open without credentials: NERVECARE_API_ANON_RATE."""

    scope = "api-anon"
    setting = "NERVECARE_API_ANON_RATE"


class FailedAuthThrottle(_SettingsRate):
    """Per IP address, requests whose credentials were refused (guessing tokens): NERVECARE_API_ANON_RATE.

    ninja runs its throttles only after authentication succeeded, so the 401 handler asks this one."""

    scope = "api-bad-auth"
    setting = "NERVECARE_API_ANON_RATE"

    def get_cache_key(self, request: HttpRequest) -> Any:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class _PerAddress(_SettingsRate):
    """Counted per IP address whoever is signed in (the public pages are the same for everyone)."""

    def get_cache_key(self, request: HttpRequest) -> Any:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OnlineBookingThrottle(_PerAddress):
    """Per IP address, requests to hold a time on a public booking page or its API:
    NERVECARE_ONLINE_BOOKING_RATE."""

    scope = "online-booking"
    setting = "NERVECARE_ONLINE_BOOKING_RATE"


class PublicPageThrottle(_PerAddress):
    """Per IP address, every other request of the public booking pages: NERVECARE_PUBLIC_PAGE_RATE."""

    scope = "public-pages"
    setting = "NERVECARE_PUBLIC_PAGE_RATE"


API_THROTTLES: list[BaseThrottle] = [ApiAnonThrottle(), ApiUserThrottle()]
