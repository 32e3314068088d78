"""API rate limits on django-ninja's throttles, counted in Django's cache (Redis when REDIS_URL is set, so
every app process shares the counters).

The rates are read from the settings on each request (NERVECARE_API_RATE per signed-in user,
NERVECARE_API_ANON_RATE per IP address for requests without valid credentials), so they can be changed
per deployment and in tests. A refused request gets 429 JSON with a Retry-After header.

Counting is atomic (issue 22): one counter per key and fixed window, created with `add` and counted with
`incr` (Redis INCR across processes; the local-memory cache under its lock), so concurrent requests can never
all pass a limit by reading the same count. (ninja's own throttle reads a list of times, appends and writes it
back: concurrent requests overwrite each other's.) A fixed window lets a client use its rate at the end of
one window and again at the start of the next: at most twice the rate over one window's length.

The client's address is REMOTE_ADDR, or, behind trusted proxies (AXES_PROXY_COUNT, the same count the sign-in
lockout uses, passed to ninja as NINJA_NUM_PROXIES), the address the nearest trusted proxy saw in
X-Forwarded-For: what a client writes into that header itself is never used.
"""

import time
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
        self._retry_after: float | None = None

    def allow_request(self, request: HttpRequest) -> bool:
        self.cache = cache  # the configured default cache, looked up now (tests may swap it)
        self.rate = getattr(settings, self.setting, "") or None
        if self.rate is None or self.rate.strip().lower() in {"off", "none", "0"}:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request)
        if key is None or not self.num_requests or not self.duration:
            return True
        now = time.time()
        window = int(now // self.duration)
        counter = f"{key}:{window}"
        # The counter outlives its window a little, so a late `incr` never finds it gone.
        self.cache.add(counter, 0, timeout=self.duration + 5)
        try:
            count = self.cache.incr(counter)
        except ValueError:  # evicted between add and incr: this request opens the window again
            self.cache.add(counter, 1, timeout=self.duration + 5)
            count = 1
        if count <= self.num_requests:
            self._retry_after = None
            return True
        self._retry_after = (window + 1) * self.duration - now
        return False

    def wait(self) -> float | None:
        """Seconds until the refused client's window ends (the Retry-After header)."""
        return self._retry_after


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
