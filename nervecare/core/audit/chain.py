"""The chain: hashing an event, appending events, sealing them, and the append-only trigger's switch.

How and why, in the package's docstring (nervecare/core/audit/__init__.py)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from nervecare.core import request_context
from nervecare.core.models import AuditEvent, User

if TYPE_CHECKING:
    from django.db.models import Field

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


def client_ip() -> str | None:
    """The address of the client whose request is being served (nervecare.core.request_context), if any."""
    context = request_context.current()
    return context.ip if context else None


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
    signed_in = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent(
        actor_id=signed_in.pk if signed_in is not None else None,
        actor_username=actor_name(signed_in) if signed_in is not None else "",
        clinic_id=clinic_id,
        client_id=client_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        summary=summary[:300],
        changes=_json_safe(changes),
        ip_address=request_context.normal_ip(ip_address),
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


def _column(field: Field[Any, Any]) -> str:
    """A concrete field's column: Django calls a field concrete because it has one (the stubs allow None)."""
    if field.column is None:  # pragma: no cover - only concrete fields are passed
        raise TypeError(f"{field.name} has no database column")
    return field.column


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
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(_column(f)) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(events))} RETURNING {qn(_column(meta.pk))}"
    )
    params = [f.get_db_prep_save(f.pre_save(e, True), connection) for e in events for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()]
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = connection.alias


# The events of a block held to be inserted together when it ends (held_together), or None: insert each now.
_held: contextvars.ContextVar[list[AuditEvent] | None] = contextvars.ContextVar("audit_held", default=None)


@contextlib.contextmanager
def held_together() -> Iterator[None]:
    """The events appended inside the block are inserted together, in one statement, as it ends (issue 20:
    an intake's own event and its safety check's, one INSERT instead of two).

    For a block inside the caller's transaction whose events nobody reads before it ends: the events are
    appended as before, in the same transaction and the same order, only later; they have no id until then.
    If the block raises, its events are dropped with it (the transaction that would have stored them rolls
    back: the exception leaves the service). Nested blocks join the outermost one."""
    if _held.get() is not None:
        yield
        return
    held: list[AuditEvent] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    if held:
        append_events(held)


def append_events(events: list[AuditEvent]) -> list[AuditEvent]:
    """Insert events. Deferred sealing: insert them pending (see the module's docstring). Inline sealing on
    SQLite: per chain, take the lock, read the head once, insert them all sealed. Inline on PostgreSQL:
    insert them pending and seal their chains at once, in the same transaction, under the chains' locks (the
    hashes come from the stored values, as deferred sealing's do: PostgreSQL normalises JSON numbers and
    addresses, so hashing Python's values could differ from what `verify` reads back).

    No savepoint: inside a service's transaction a failure here fails the whole service (no change without
    its event); on its own it is a transaction of its own."""
    held = _held.get()
    if held is not None:
        held.extend(events)
        return events
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
