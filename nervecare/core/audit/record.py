"""Recording: one event about an object, a read (`audit_view`, `audit_list`), and bulk writes through
`audited_update` / `audited_delete` / `audited_bulk_create` (the writes signals never see)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.conf import settings
from django.db import models, transaction

from nervecare.core import request_context
from nervecare.core.audit.chain import _json_safe, append, append_events, client_ip, enabled, new_event
from nervecare.core.models import AuditEvent, User

if TYPE_CHECKING:
    pass


def _clinic_and_client(obj: models.Model) -> tuple[int | None, int | None]:
    # The trail is about clients, yet the platform knows no domain app: the model is named by a setting,
    # as AUTH_USER_MODEL names the user model.
    Client = django_apps.get_model(settings.NERVECARE_AUDIT_SUBJECT_MODEL)  # noqa: N806 - a model class

    if isinstance(obj, Client):
        return obj.clinic_id, obj.pk
    client_id = getattr(obj, "client_id", None)
    clinic_id = getattr(obj, "clinic_id", None)
    if clinic_id is None and client_id is not None:
        loaded = obj._state.fields_cache.get("client")  # the client the caller already read, if any
        if isinstance(loaded, Client) and loaded.pk == client_id:
            clinic_id = loaded.clinic_id
        else:
            clinic_id = Client.objects.filter(pk=client_id).values_list("clinic_id", flat=True).first()
    return clinic_id, client_id


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """One event about one model instance. A no-op returning None when NERVECARE_AUDIT is off."""
    if not enabled():
        return None
    clinic_id, client_id = _clinic_and_client(obj)
    if clinic_id is None:
        clinic_id = getattr(actor, "clinic_id", None)
    return append(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        clinic_id=clinic_id,
        client_id=client_id,
        summary=summary,
        changes=changes,
        ip_address=client_ip(),
    )


def record_many(
    *,
    actor: User | None,
    action: str,
    objs: Iterable[models.Model],
    summary: str = "",
) -> list[AuditEvent]:
    """One event per object (e.g. each client a FHIR search returned), appended in one go."""
    if not enabled():
        return []
    ip = client_ip()
    events = []
    for obj in objs:
        clinic_id, client_id = _clinic_and_client(obj)
        events.append(
            new_event(
                actor=actor,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                clinic_id=clinic_id if clinic_id is not None else getattr(actor, "clinic_id", None),
                client_id=client_id,
                summary=summary,
                ip_address=ip,
            )
        )
    return append_events(events) if events else []


# --- reads -------------------------------------------------------------------------------------------


def audit_view(
    actor: User,
    obj: models.Model,
    summary: str = "Viewed",
) -> AuditEvent | None:
    """Record that `actor` saw `obj` (a client, a note, a plan…). One event per object per request."""
    context = request_context.current()
    if context is not None:
        key = (obj._meta.label_lower, obj.pk)
        if key in context.seen:
            return None
        context.seen.add(key)
    return record(actor=actor, action=AuditEvent.Action.VIEW, obj=obj, summary=summary)


def audit_list(
    actor: User,
    model: type[models.Model],
    ids: Iterable[Any],
    summary: str = "List viewed",
) -> AuditEvent | None:
    """One event for a list page or route: which records of `model` were shown (ids and count). An empty
    list showed no one's data and records nothing."""
    if not enabled():
        return None
    shown = [str(i) for i in ids]
    if not shown:
        return None
    return append(
        actor=actor,
        action=AuditEvent.Action.VIEW,
        object_type=model._meta.label_lower,
        object_id="*",
        clinic_id=getattr(actor, "clinic_id", None),
        summary=f"{summary} ({len(shown)})",
        changes={"ids": shown, "count": len(shown)},
        ip_address=client_ip(),
    )


# --- bulk writes -------------------------------------------------------------------------------------


def _bulk_event(
    qs_model: type[models.Model],
    ids: list[Any],
    *,
    actor: User | None,
    action: str,
    summary: str,
    changes: dict[str, Any],
    clinic_id: int | None,
    client_id: int | None = None,
) -> None:
    if not enabled() or not ids:
        return
    client_ids = {client_id} if client_id is not None else set()
    if not client_ids and any(f.attname == "client_id" for f in qs_model._meta.concrete_fields):
        client_ids = set(qs_model._default_manager.filter(pk__in=ids).values_list("client_id", flat=True))
    append(
        actor=actor,
        action=action,
        object_type=qs_model._meta.label_lower,
        object_id="*" if len(ids) > 1 else str(ids[0]),
        clinic_id=clinic_id if clinic_id is not None else getattr(actor, "clinic_id", None),
        client_id=next(iter(client_ids)) if len(client_ids) == 1 else None,
        summary=f"{summary} ({len(ids)})",
        changes={"ids": [str(i) for i in ids], "count": len(ids), **changes},
        ip_address=client_ip(),
    )


def audited_update(
    qs: models.QuerySet,
    *,
    actor: User | None,
    summary: str = "Bulk update",
    clinic_id: int | None = None,
    **values: Any,
) -> int:
    """`qs.update(**values)` plus one audit event listing the ids and the new values.

    The rows are locked and their ids read first, in the same transaction, so the event names exactly the
    rows that changed."""
    with transaction.atomic():
        ids = list(qs.select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        count = qs.model._default_manager.filter(pk__in=ids).update(**values)
        _bulk_event(
            qs.model,
            ids,
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            summary=summary,
            changes={"set": _json_safe(values)},
            clinic_id=clinic_id,
        )
    return count


def audited_delete(
    qs: models.QuerySet,
    *,
    actor: User | None,
    summary: str = "Bulk delete",
    clinic_id: int | None = None,
) -> int:
    """`qs.delete()` plus one audit event listing the ids removed (cascaded rows are counted by model)."""
    with transaction.atomic():
        ids = list(qs.select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        # The event is written before the rows go, while their client can still be looked up.
        _bulk_event(
            qs.model,
            ids,
            actor=actor,
            action=AuditEvent.Action.DELETE,
            summary=summary,
            changes={},
            clinic_id=clinic_id,
        )
        count, _per_model = qs.model._default_manager.filter(pk__in=ids).delete()
    return count


def audited_bulk_create(
    model: type[models.Model],
    objs: list[models.Model],
    *,
    actor: User | None,
    summary: str = "Bulk create",
    clinic_id: int | None = None,
    client_id: int | None = None,
) -> list[models.Model]:
    """`bulk_create` plus one audit event listing the new ids and their values."""
    with transaction.atomic():
        created = model._default_manager.bulk_create(objs)
        ids = [o.pk for o in created if o.pk is not None]
        fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        _bulk_event(
            model,
            ids,
            actor=actor,
            action=AuditEvent.Action.CREATE,
            summary=summary,
            changes={
                "created": _json_safe({"rows": [{f: getattr(o, f) for f in fields} for o in created]})["rows"]
            },
            clinic_id=clinic_id,
            client_id=client_id,
        )
    return created
