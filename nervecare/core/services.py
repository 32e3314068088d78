"""Writes that belong to the core: the audit trail and API tokens."""

import hashlib
import secrets
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from nervecare.core import audit
from nervecare.core.models import ApiToken, AuditEvent, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent | None:
    """Append one event to the audit trail (who, what record, what changed, from where).

    Call it as the last step of a service: the append holds its clinic's chain lock until the service's
    transaction ends. Bulk writes go through `nervecare.core.audit.audited_update` and friends, reads
    through `audit_view` / `audit_list`. Returns None when the trail is switched off (NERVECARE_AUDIT)."""
    return audit.record(
        actor=actor, action=action, obj=obj, summary=summary, changes=changes, request=request
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
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def api_token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
