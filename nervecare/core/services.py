"""Writes that belong to the core: the audit trail and API tokens."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from nervecare.core.models import ApiToken, AuditEvent, User


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit trail (who, what record, what changed, from where)."""
    clinic_id = getattr(obj, "clinic_id", None)
    if clinic_id is None and hasattr(obj, "client"):
        clinic_id = obj.client.clinic_id
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        clinic_id=clinic_id if clinic_id is not None else getattr(actor, "clinic_id", None),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300],
        changes=changes or {},
        ip_address=_client_ip(request),
    )


def model_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs (values rendered as strings for JSON)."""

    def show(value: Any) -> Any:
        return (
            value
            if isinstance(value, bool | int | float | str | list | dict) or value is None
            else str(value)
        )

    return {k: [show(before.get(k)), show(v)] for k, v in after.items() if before.get(k) != v}


TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a bearer token; the plain token is returned once and never stored."""
    plain = "nc_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=hashlib.sha256(plain.encode()).hexdigest(), prefix=plain[:10]
    )
    return token, plain


def api_token_authenticate(plain: str) -> User | None:
    digest = hashlib.sha256(plain.encode()).hexdigest()
    token = ApiToken.objects.select_related("user").filter(token_hash=digest, revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # "Last used" to the minute: an update (and a commit) on every request would make each API read a write.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
