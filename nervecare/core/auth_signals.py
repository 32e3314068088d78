"""Sign-in receivers: a new session starts its idle clock at sign-in (core/middleware.py IdleSessionMiddleware)."""

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in, dispatch_uid="nervecare_idle_clock_starts")
def idle_clock_starts(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from nervecare.core.middleware import IdleSessionMiddleware

    session = getattr(request, "session", None)
    if session is not None:
        session[IdleSessionMiddleware.SESSION_KEY] = time.time()
