"""The audit trail: appending hash-chained events, auditing reads and bulk writes, verifying the chain.

What is audited, and the gap this module closes
-----------------------------------------------
Every service that writes clinical data calls `services.audit_record` (an event with the changed fields);
views and API routes that show one client's clinical data call `audit_view` (one event per object per
request); list pages record one event naming the ids they showed.

Signal-based history libraries (django-simple-history, django-auditlog, Django's own `post_save` /
`post_delete`) only see `Model.save()` and `Model.delete()`. They miss `QuerySet.update()`,
`QuerySet.delete()` (no per-row signal for update at all; delete signals fire only for cascades Django
collects itself), `bulk_create()` / `bulk_update()` and raw SQL. Services therefore run bulk writes on
clinical models through `audited_update` / `audited_delete` / `audited_bulk_create` below, which write one
event per bulk operation listing the ids and the change. Raw SQL on clinical tables must record its own
event.

The chain
---------
Each clinic has its own chain (`chain` = clinic id; 0 for events without a clinic). Clinics are the
tenancy boundary: a clinic admin's export is a complete chain that verifies on its own, and clinics never
wait on each other's lock. An event's place in its chain (`seq`, `prev_hash`, `hash`) is its seal. Two
ways of sealing (`seal_mode()`, setting NERVECARE_AUDIT_SEAL):

- inline (SQLite, and PostgreSQL when asked): the event is sealed by the append itself, under the chain's
  lock, which is held until the caller's transaction ends. SQLite reads the head and inserts the event
  sealed (its IMMEDIATE transaction already holds the database's only write lock: one extra read);
  PostgreSQL stores it pending and seals it at once, from the stored values as below.
- deferred (PostgreSQL's default): the append is one INSERT of the event with its content and no seal
  (`seq` NULL), in the caller's transaction, with no lock. `seal()` then gives the pending events of a
  chain their places in one transaction under the chain's lock: head, pending rows in id order, one
  UPDATE. The database trigger lets exactly that UPDATE through (a pending row's seal columns, once;
  nothing else). On PostgreSQL the inline lock was held through each writer's COMMIT (its WAL flush),
  so every audited request of a clinic queued behind the one before, and a read cost five statements
  instead of one (bench/load: the audit trail's cost). Sealing runs after a request at most once per
  NERVECARE_AUDIT_SEAL_INTERVAL seconds per process (the response is sent first), every minute in the
  job queue, and before `audit verify` / `audit head` and the export. A pending event is already
  durable and append-only (the trigger refuses to change or delete it); until its seal, only the
  tables' owner (who can drop the trigger anyway) could alter it without `verify` noticing.

A hash chain shows that events were changed, removed or re-ordered inside the chain; removing the newest
events (truncating the tail) leaves a shorter chain that still verifies. `nervecare audit head` prints
each chain's head (seq and hash) to keep elsewhere (a ticket, an e-mail, a printout) and
`nervecare audit verify --expect CHAIN:SEQ:HASH` checks against it. The job queue does the same on its own:
signed checkpoints of every chain's head in a file outside the database (`audit_checkpoint`), which
`audit verify` checks, so that even the tables' owner cannot truncate or re-seal a chain unnoticed. The app
itself runs as a role that does not own the tables (`nervecare db grant`).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
import ipaddress
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from nervecare.core.models import AuditEvent, User

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

# Two-int advisory lock key: this namespace plus the chain id.
_LOCK_NAMESPACE = 0x4E43  # "NC"
GENESIS = "0" * 64
HASHED_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "clinic_id",
    "client_id",
    "action",
    "object_type",
    "object_id",
    "summary",
    "changes",
    "ip_address",
    "prev_hash",
)


def enabled() -> bool:
    """NERVECARE_AUDIT (default on). Off only to measure the audit trail's cost in the load test."""
    return getattr(settings, "NERVECARE_AUDIT", True)


def seal_mode() -> str:
    """ "deferred" on PostgreSQL unless NERVECARE_AUDIT_SEAL is "inline"; always "inline" on SQLite (one
    writer at a time: nothing to gain, and its trigger refuses every UPDATE)."""
    if connection.vendor != "postgresql":
        return "inline"
    return "inline" if getattr(settings, "NERVECARE_AUDIT_SEAL", "deferred") == "inline" else "deferred"


# --- hashing -----------------------------------------------------------------------------------------


def _canonical_value(name: str, value: Any) -> Any:
    if name == "at":
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_json(fields: dict[str, Any]) -> str:
    """The exact text that is hashed: sorted keys, no spaces, UTC timestamps with microseconds."""
    data = {name: _canonical_value(name, fields[name]) for name in HASHED_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def _fields_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def _json_safe(changes: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON so the stored value, the value read back and the hashed value are the same.
    return json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder))


def _normal_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:10.0.0.5) is that IPv4 address. Stored as written
    # otherwise: the databases spell a mapped address differently from Python (the hash must match).
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).compressed


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return _normal_ip(request.META.get("REMOTE_ADDR"))


# --- appending ---------------------------------------------------------------------------------------


def _lock_chain(chain: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, chain % 2**31])
    # SQLite: the transaction is IMMEDIATE (settings.py), so it already holds the only write lock.


def actor_name(actor: User) -> str:
    """Who, as the trail keeps it. Staff by username. A portal client by their account's id, not their
    username (usually their email address): the trail outlives the client's erasure and cannot be changed,
    so it must not keep contact details; `client_id` says whose data it was."""
    if getattr(actor, "role", None) == "client":
        return f"portal-user-{actor.pk}"
    return actor.get_username()


def new_event(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: str,
    clinic_id: int | None,
    client_id: int | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """An unsaved event with its content normalised the way it will be read back (for hashing)."""
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent(
        actor_id=actor.pk if authenticated else None,
        actor_username=actor_name(actor) if authenticated else "",
        clinic_id=clinic_id,
        client_id=client_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        summary=summary[:300],
        changes=_json_safe(changes),
        ip_address=_normal_ip(ip_address),
        chain=clinic_id or 0,
    )


def _head(chain: int) -> tuple[int, str]:
    """The chain's newest (seq, hash), or (0, GENESIS). Plain SQL: this runs on every audited request."""
    meta = AuditEvent._meta
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn('seq')}, {qn('hash')} FROM {qn(meta.db_table)} WHERE {qn('chain')} = %s "  # noqa: S608
            f"AND {qn('seq')} IS NOT NULL "  # pending events (deferred sealing) are not in the chain yet
            f"ORDER BY {qn('seq')} DESC LIMIT 1",  # identifiers from the model; the value is a parameter
            [chain],
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def chain_head(chain: int) -> tuple[int, str]:
    """The chain's newest sealed (seq, hash), or (0, GENESIS)."""
    return _head(chain)


def _insert(events: list[AuditEvent]) -> None:
    """INSERT ... RETURNING id for the events, with each value prepared by its model field exactly as the ORM
    would (JSON, inet, timestamps), without the ORM's per-call query compilation."""
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover - SQLite < 3.35
        AuditEvent.objects.bulk_create(events)
        return
    meta = AuditEvent._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (  # identifiers from the model, values as parameters
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(events))} RETURNING {qn(meta.pk.column)}"
    )
    params = [f.get_db_prep_save(f.pre_save(e, True), connection) for e in events for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()]
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


def append_events(events: list[AuditEvent]) -> list[AuditEvent]:
    """Insert events. Deferred sealing: insert them pending (see the module's docstring). Inline sealing on
    SQLite: per chain, take the lock, read the head once, insert them all sealed. Inline on PostgreSQL:
    insert them pending and seal their chains at once, in the same transaction, under the chains' locks (the
    hashes come from the stored values, as deferred sealing's do: PostgreSQL normalises JSON numbers and
    addresses, so hashing Python's values could differ from what `verify` reads back).

    No savepoint: inside a service's transaction a failure here fails the whole service (no change without
    its event); on its own it is a transaction of its own."""
    if seal_mode() == "deferred":
        return _append_pending(events)
    if connection.vendor == "postgresql":
        if connection.in_atomic_block:
            # Check the service's deferred foreign keys now, before the chain lock. At COMMIT they would lock
            # the referenced rows (FOR KEY SHARE) while this transaction holds the chain lock: if another
            # service holds one of those rows (a client locked FOR UPDATE) and waits for the chain lock, that
            # is a deadlock (seen under the load test).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with transaction.atomic(savepoint=False):
            _append_pending(events)
            seal(only=sorted({e.chain for e in events}))  # sorted: a fixed lock order, no deadlock
        return events
    by_chain: dict[int, list[AuditEvent]] = {}
    for event in events:
        by_chain.setdefault(event.chain, []).append(event)
    with transaction.atomic(savepoint=False):
        for chain in sorted(by_chain):
            _lock_chain(chain)
            seq, prev = _head(chain)
            now = timezone.now()
            for event in by_chain[chain]:
                seq += 1
                event.seq, event.prev_hash, event.at = seq, prev, now
                event.hash = prev = event_hash(_fields_of(event))
            for start in range(0, len(by_chain[chain]), 500):  # within every database's parameter limit
                _insert(by_chain[chain][start : start + 500])
    return events


def _append_pending(events: list[AuditEvent]) -> list[AuditEvent]:
    """One INSERT, no lock: in the caller's transaction (or committed at once outside one)."""
    global _pending_here
    now = timezone.now()
    for event in events:
        event.seq, event.prev_hash, event.hash, event.at = None, "", "", now
    for start in range(0, len(events), 500):  # within every database's parameter limit
        _insert(events[start : start + 500])
    _pending_here = True
    return events


# --- sealing (deferred mode) -------------------------------------------------------------------------

SEAL_BATCH = 2000
_pending_here = False  # this process appended pending events since its last seal
_last_seal = time.monotonic()


def _try_lock_chain(chain: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, chain % 2**31])
        return bool(cursor.fetchone()[0])


def _seal_batch(chain: int, *, wait: bool) -> int | None:
    """Seal up to SEAL_BATCH pending events of one chain, oldest first. None: another process holds the
    chain's lock (and is sealing it) and `wait` is False."""
    with transaction.atomic():
        if wait:
            _lock_chain(chain)
        elif not _try_lock_chain(chain):
            return None
        seq, prev = _head(chain)
        # Read back from the database, as `verify` will read them: the hash covers the stored values.
        rows = list(
            AuditEvent.objects.filter(chain=chain, seq__isnull=True)
            .order_by("id")
            .values("id", *HASHED_FIELDS)[:SEAL_BATCH]
        )
        if not rows:
            return 0
        seals = []
        for row in rows:
            seq += 1
            row["seq"], row["prev_hash"] = seq, prev
            prev = event_hash(row)
            seals.extend([row["id"], seq, row["prev_hash"], prev])
        table = connection.ops.quote_name(AuditEvent._meta.db_table)  # the table's name from the model
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                values = ", ".join(["(%s::bigint, %s::bigint, %s, %s)"] * len(rows))
                cursor.execute(
                    f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "  # noqa: S608
                    f"FROM (VALUES {values}) AS v(id, seq, prev_hash, hash) WHERE e.id = v.id AND e.seq IS NULL",
                    seals,
                )
                updated = cursor.rowcount
            else:  # SQLite: restored pending events only (see `seal`)
                updated = 0
                for i in range(0, len(seals), 4):
                    event_id, event_seq, event_prev, event_hash_ = seals[i : i + 4]
                    cursor.execute(
                        f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s "  # noqa: S608
                        "WHERE id = %s AND seq IS NULL",
                        [event_seq, event_prev, event_hash_, event_id],
                    )
                    updated += cursor.rowcount
            if updated != len(rows):  # pragma: no cover - the chain's lock makes this impossible
                raise DatabaseError(f"audit chain {chain}: sealed {updated} of {len(rows)} events")
        return len(rows)


def seal(*, only: Iterable[int] | None = None, wait: bool = True) -> int:
    """Seal every pending event, chain by chain; returns how many were sealed. With wait=False a chain that
    another process is sealing is left to it.

    SQLite seals inline, so it has pending events only when a PostgreSQL backup taken while the clinic
    worked was restored into it: those are sealed here too, the trigger let through for this one UPDATE
    (SQLite's trigger cannot tell a seal from another change)."""
    global _pending_here, _last_seal
    _pending_here, _last_seal = False, time.monotonic()
    pending = AuditEvent.objects.filter(seq__isnull=True)
    if only is not None:
        pending = pending.filter(chain__in=list(only))
    chains_with_pending = sorted(pending.order_by().values_list("chain", flat=True).distinct())
    if not chains_with_pending:
        return 0
    if connection.vendor != "postgresql":
        with maintenance():
            return _seal_chains(chains_with_pending, wait=True)
    return _seal_chains(chains_with_pending, wait=wait)


def _seal_chains(only: Iterable[int], *, wait: bool) -> int:
    total = 0
    for chain in only:
        while True:
            done = _seal_batch(chain, wait=wait)
            if not done:
                break
            total += done
            if done < SEAL_BATCH:
                break
    return total


def seal_if_due(**kwargs: Any) -> None:
    """After a request (Django's request_finished, once the response is sent): seal if this process
    appended pending events and its last seal is NERVECARE_AUDIT_SEAL_INTERVAL seconds old (0: never here).
    A failure is logged and left for the next seal: the events are stored, only their seal waits."""
    interval = getattr(settings, "NERVECARE_AUDIT_SEAL_INTERVAL", 1.0)
    if not _pending_here or interval <= 0 or time.monotonic() - _last_seal < interval:
        return
    was_closed = connection.connection is None  # closed at the request's end (CONN_MAX_AGE=0)
    try:
        seal(wait=False)
    except Exception:  # the response has gone: nothing may escape into the server's close of it
        logger.exception("sealing the audit trail failed; the next seal will take these events")
    finally:
        if was_closed:
            connection.close()


def pending_count(chain: int | None = None) -> int:
    qs = AuditEvent.objects.filter(seq__isnull=True)
    return (qs.filter(chain=chain) if chain is not None else qs).count()


def append(**fields: Any) -> AuditEvent:
    """Append one event (fields as for `new_event`) to its clinic's chain; safe under concurrent writers."""
    return append_events([new_event(**fields)])[0]


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
    request: HttpRequest | None = None,
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
        ip_address=client_ip(request),
    )


def record_many(
    *,
    actor: User | None,
    action: str,
    objs: Iterable[models.Model],
    summary: str = "",
    request: HttpRequest | None = None,
) -> list[AuditEvent]:
    """One event per object (e.g. each client a FHIR search returned), appended in one go."""
    if not enabled():
        return []
    ip = client_ip(request)
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
    request: HttpRequest | None = None,
    summary: str = "Viewed",
) -> AuditEvent | None:
    """Record that `actor` saw `obj` (a client, a note, a plan…). One event per object per request."""
    if request is not None:
        seen: set[tuple[str, Any]] = request.__dict__.setdefault("_audit_seen", set())
        key = (obj._meta.label_lower, obj.pk)
        if key in seen:
            return None
        seen.add(key)
    return record(actor=actor, action=AuditEvent.Action.VIEW, obj=obj, summary=summary, request=request)


def audit_list(
    actor: User,
    model: type[models.Model],
    ids: Iterable[Any],
    request: HttpRequest | None = None,
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
        ip_address=client_ip(request),
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
    request: HttpRequest | None,
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
        ip_address=client_ip(request),
    )


def audited_update(
    qs: models.QuerySet,
    *,
    actor: User | None,
    summary: str = "Bulk update",
    request: HttpRequest | None = None,
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
            request=request,
            clinic_id=clinic_id,
        )
    return count


def audited_delete(
    qs: models.QuerySet,
    *,
    actor: User | None,
    summary: str = "Bulk delete",
    request: HttpRequest | None = None,
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
            request=request,
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
    request: HttpRequest | None = None,
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
            request=request,
            clinic_id=clinic_id,
            client_id=client_id,
        )
    return created


# --- verifying ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    chain: int
    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    chain: int
    events: int
    head_seq: int
    head_hash: str
    broken: Break | None
    pending: int = 0  # events stored but not sealed yet (deferred sealing): not verified


def chains() -> list[int]:
    return sorted(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())


def verify_chain(chain: int) -> ChainReport:
    """Walk one chain's sealed events in seq order; stop at the first broken link. Pending events (not
    sealed yet) are counted, not verified: `verify` seals them first."""
    expected_seq, prev = 1, GENESIS
    rows = (
        AuditEvent.objects.filter(chain=chain, seq__isnull=False)
        .order_by("seq")
        .values("id", "hash", *HASHED_FIELDS)
        .iterator(chunk_size=5000)
    )
    count = 0
    for event in rows:
        count += 1
        problem = None
        if event["seq"] != expected_seq:
            problem = (
                f"expected seq {expected_seq}, found {event['seq']} (an event is missing or was re-numbered)"
            )
        elif event["prev_hash"] != prev:
            problem = (
                "prev_hash does not match the previous event's hash (an event was removed or re-ordered)"
            )
        elif event_hash(event) != event["hash"]:
            problem = "the event's content does not match its hash (it was changed)"
        if problem:
            return ChainReport(
                chain,
                count,
                expected_seq - 1,
                prev,
                Break(chain, event["seq"], event["id"], problem),
                pending_count(chain),
            )
        expected_seq, prev = event["seq"] + 1, event["hash"]
    return ChainReport(chain, count, expected_seq - 1, prev, None, pending_count(chain))


def verify(only: Iterable[int] | None = None, *, seal_first: bool = True) -> Iterator[ChainReport]:
    only = list(only) if only is not None else None
    if seal_first:
        seal(only=only)
    for chain in only if only is not None else chains():
        yield verify_chain(chain)


# --- maintenance (flushing a whole test database) ---------------------------------------------------

_maintenance: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_maintenance", default=False)


@contextlib.contextmanager
def maintenance() -> Iterator[None]:
    """Let the append-only trigger through, for `flush` (emptying the whole database in tests and
    development). Never used by the application."""
    token = _maintenance.set(True)
    pg = connection.vendor == "postgresql"
    if pg:
        with connection.cursor() as cursor:
            cursor.execute("SET nervecare.audit_maintenance = 'on'")
    try:
        yield
    finally:
        _maintenance.reset(token)
        if pg:
            with connection.cursor() as cursor:
                cursor.execute("RESET nervecare.audit_maintenance")


def _sqlite_audit_locked() -> int:
    return 0 if _maintenance.get() else 1


def install_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Register the function the SQLite trigger asks. Where it is missing (the sqlite3 shell), the trigger
    fails with "no such function" and the change is refused all the same."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("nervecare_audit_locked", 0, _sqlite_audit_locked)


# --- who may read the trail --------------------------------------------------------------------------


def require_audit_admin(user: User) -> None:
    """The audit trail is for the clinic's admins only."""
    if not user.is_authenticated or user.clinic_id is None or user.role != user.Role.ADMIN:
        raise PermissionDenied("Only the clinic's admins may see the audit trail.")


def expected_head_present(chain: int, seq: int, digest: str) -> bool:
    """A head recorded earlier (`nervecare audit head`) is still in the chain with the same hash."""
    return AuditEvent.objects.filter(chain=chain, seq=seq, hash=digest).exists()


# --- searching (the admin page, the CSV export and GET /api/v1/audit) --------------------------------


@dataclass(frozen=True)
class SearchFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    client: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (str(v) if v is not None else None) for k, v in self.__dict__.items() if v not in ("", None)
        }


def search(*, clinic_id: int, tz_name: str, filters: SearchFilters) -> models.QuerySet[AuditEvent]:
    """One clinic's events matching the filters, newest first. Dates are whole days in the clinic's zone."""
    from zoneinfo import ZoneInfo

    qs = AuditEvent.objects.filter(clinic_id=clinic_id)
    if filters.actor:
        qs = qs.filter(actor_username=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.client is not None:
        qs = qs.filter(client_id=filters.client)
    tz = ZoneInfo(tz_name)
    if filters.date_from:
        qs = qs.filter(at__gte=datetime.datetime.combine(filters.date_from, datetime.time.min, tzinfo=tz))
    if filters.date_to:
        day_after = filters.date_to + datetime.timedelta(days=1)
        qs = qs.filter(at__lt=datetime.datetime.combine(day_after, datetime.time.min, tzinfo=tz))
    return qs.order_by("-at", "-id")


CSV_COLUMNS = (
    "id", "at", "actor_id", "actor_username", "action", "object_type", "object_id", "client_id", "summary",
    "changes", "ip_address", "chain", "seq", "prev_hash", "hash",
)  # fmt: skip


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(events: models.QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    """The header, then one row per event with the hash columns (the export can be re-verified)."""
    yield list(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield [_csv_cell(getattr(event, c)) for c in CSV_COLUMNS]


def audit_trail_read(
    *, actor: User, summary: str, filters: SearchFilters, request: HttpRequest | None = None
) -> AuditEvent | None:
    """Reading or exporting the trail is itself recorded, with the filters used. The clinic's pending events
    are sealed first, so what the admin sees and exports is the whole chain up to this read."""
    if not enabled():
        return None
    event = append(
        actor=actor,
        action=AuditEvent.Action.VIEW,
        object_type=AuditEvent._meta.label_lower,
        object_id="*",
        clinic_id=actor.clinic_id,
        summary=summary,
        changes={"filters": filters.as_dict()},
        ip_address=client_ip(request),
    )
    seal(only=[event.chain])
    return event
