"""Sign-in receivers: a new session starts its idle clock at sign-in (core/middleware.py IdleSessionMiddleware);
and the API token cache is dropped when a token or its user changes."""

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from nervecare.core.auth import IDLE_CLOCK_SESSION_KEY
from nervecare.core.models import ApiToken
from nervecare.core.services import token_cache_forget


@receiver(user_logged_in, dispatch_uid="nervecare_idle_clock_starts")
def idle_clock_starts(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[IDLE_CLOCK_SESSION_KEY] = time.time()


# --- API tokens cached with their user (core/services.py api_token_find) -----------------------------------
# Any change to a token or its user drops the cached entries, now and again when the transaction commits (so a
# request that read the old row just before the commit cannot leave it cached).


def _forget_tokens(digests: list[str]) -> None:
    from django.db import transaction

    if not digests:
        return
    token_cache_forget(digests)
    transaction.on_commit(lambda: token_cache_forget(digests))


@receiver(post_save, sender="core.ApiToken", dispatch_uid="nervecare_token_cache_token_saved")
@receiver(post_delete, sender="core.ApiToken", dispatch_uid="nervecare_token_cache_token_deleted")
def token_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and set(update_fields) <= {"last_used_at"}:
        return  # the "last used" stamp: api_token_find refreshes the cached copy itself
    _forget_tokens([instance.token_hash])


@receiver(post_save, sender="core.User", dispatch_uid="nervecare_token_cache_user_saved")
@receiver(pre_delete, sender="core.User", dispatch_uid="nervecare_token_cache_user_deleted")
def token_user_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # signing in changes nothing a token acts with
    _forget_tokens(list(ApiToken.objects.filter(user_id=instance.pk).values_list("token_hash", flat=True)))
