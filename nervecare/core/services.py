"""Writes that belong to the core: the audit trail and API tokens."""

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone

from nervecare.core import audit
from nervecare.core.compiled import CompiledQuery
from nervecare.core.errors import FieldErrors
from nervecare.core.models import ApiToken, AuditEvent, User
from nervecare.core.scopes import validate_scopes


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Append one event to the audit trail (who, what record, what changed, from where).

    Call it as the last step of a service: the append holds its clinic's chain lock until the service's
    transaction ends. Bulk writes go through `nervecare.core.audit.audited_update` and friends, reads
    through `audit_view` / `audit_list`. Returns None when the trail is switched off (NERVECARE_AUDIT)."""
    return audit.record(actor=actor, action=action, obj=obj, summary=summary, changes=changes)


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs (values rendered as strings for JSON)."""

    def show(value: Any) -> Any:
        return (
            value
            if isinstance(value, bool | int | float | str | list | dict) or value is None
            else str(value)
        )

    return {k: [show(before.get(k)), show(v)] for k, v in after.items() if before.get(k) != v}


TOKEN_LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def api_token_create(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime.datetime | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a bearer token limited to `scopes`; the plain token is returned once and never stored."""
    errors: dict[str, str] = {}
    try:
        scopes = validate_scopes(list(scopes))
    except ValueError as exc:
        errors["scopes"] = str(exc)
    if not scopes and "scopes" not in errors:
        errors["scopes"] = "give at least one scope"
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "must be in the future"
    if not name or len(name) > 100:
        errors["name"] = "give a label of 1 to 100 characters"
    if errors:
        raise FieldErrors(errors)
    plain = "nc_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=hashlib.sha256(plain.encode()).hexdigest(),
        prefix=plain[:10],
        scopes=scopes,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor or user,
        action="create",
        obj=token,
        summary=f"API token {token.prefix} created for {user.username}",
        changes={"scopes": scopes, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, plain


def _token_cache_key(digest: str) -> str:
    return f"nc:apitoken:{digest}"


def token_cache_forget(digests: Iterable[str]) -> None:
    """Drop cached tokens (revoked, edited, or their user changed): the next request reads the database."""
    keys = [_token_cache_key(d) for d in digests]
    if keys:
        cache.delete_many(keys)


def _token_query(shape: None, digest: str, now: datetime.datetime) -> models.QuerySet[ApiToken]:
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=digest, revoked_at__isnull=True)
        .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))
        .order_by("pk")[:1]
    )


# Every API request looks its token up: compiled once per process (core/compiled.py), as the query is the same.
_TOKEN = CompiledQuery(_token_query, digest=str, now=datetime.datetime)


def _token_lookup(digest: str, now: datetime.datetime) -> ApiToken | None:
    token = _TOKEN.first(digest=digest, now=now)
    if token is None or not token.user.is_active:
        return None
    return token


def api_token_find(plain: str) -> ApiToken | None:
    """The active token (not revoked, not expired, its user active), or None. Marks it used.

    With NERVECARE_TOKEN_CACHE_SECONDS (on when the cache is Redis, shared by every app process) the token and
    its user come from the cache: every request of an integration would otherwise pay for the same lookup.
    Only valid tokens are cached; a token's or its user's change or deletion drops the entry at once
    (signals in core/auth/signals.py), so a revoked token or a deactivated user gets 401 on the next request
    in every process; expiry is checked on each request."""
    digest = hashlib.sha256(plain.encode()).hexdigest()
    now = timezone.now()
    ttl = settings.NERVECARE_TOKEN_CACHE_SECONDS
    key = _token_cache_key(digest)
    token = cache.get(key) if ttl else None
    if token is not None and (token.expires_at is not None and token.expires_at <= now):
        token = None  # expired while cached (the database query below agrees and returns None)
    if token is None:
        token = _token_lookup(digest, now)
        if token is None:
            return None
        if ttl:
            cache.set(key, token, ttl)
    # "Last used" to the minute: an update (and a commit) on every request would make each API read a write.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        if ttl:
            cache.set(key, token, ttl)
    return token


def api_token_authenticate(plain: str) -> User | None:
    """The token's user, with the token attached as `user.api_token` (its scopes limit what it may do)."""
    token = api_token_find(plain)
    if token is None:
        return None
    user = token.user
    user.api_token = token
    return user


def api_tokens_visible_to(user: User) -> models.QuerySet[ApiToken]:
    """A user's own tokens; a clinic admin's: every token of the clinic's people."""
    qs = ApiToken.objects.select_related("user")
    if user.role == User.Role.ADMIN and user.clinic_id is not None:
        return qs.filter(user__clinic_id=user.clinic_id)
    return qs.filter(user=user)


def api_token_revoke(*, token: ApiToken, actor: User | None = None) -> None:
    """Revoke at once: the next request with the token gets 401."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="update",
        obj=token,
        summary=f"API token {token.prefix} of {token.user.username} revoked",
        changes={"revoked_at": token.revoked_at.isoformat()},
    )
