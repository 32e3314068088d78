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
signed checkpoints of every chain's head in a file outside the database (`checkpoint`), which
`audit verify` checks, so that even the tables' owner cannot truncate or re-seal a chain unnoticed. The app
itself runs as a role that does not own the tables (`nervecare db grant`).

The package
-----------
`chain` (hashing, appending, sealing, maintenance), `record` (events about objects, reads, bulk writes),
`verify` (walking a chain) and `checkpoint` (signed heads outside the database), `search` (the admins' search
and CSV export), and the admins' pages and route: `views`, `urls`, `api`. Who may read the trail:
`core.permissions.require_audit_admin`. The names below are the trail's API: callers write
`from nervecare.core import audit` and `audit.record(...)`.
"""

from nervecare.core.audit.chain import (
    GENESIS,
    HASHED_FIELDS,
    actor_name,
    append,
    append_events,
    canonical_json,
    chain_head,
    client_ip,
    enabled,
    event_hash,
    held_together,
    install_sqlite_function,
    maintenance,
    new_event,
    pending_count,
    seal,
    seal_if_due,
    seal_mode,
)
from nervecare.core.audit.record import (
    audit_list,
    audit_view,
    audited_bulk_create,
    audited_delete,
    audited_update,
    record,
    record_many,
)
from nervecare.core.audit.search import CSV_COLUMNS, SearchFilters, audit_trail_read, csv_rows, search
from nervecare.core.audit.verify import (
    Break,
    ChainReport,
    chains,
    expected_head_present,
    verify,
    verify_chain,
)

# The audit API route (audit/api.py) asks `audit.require_audit_admin`: the rule itself is core.permissions'.
from nervecare.core.permissions import require_audit_admin

__all__ = [
    "CSV_COLUMNS",
    "GENESIS",
    "HASHED_FIELDS",
    "Break",
    "ChainReport",
    "SearchFilters",
    "actor_name",
    "append",
    "append_events",
    "audit_list",
    "audit_trail_read",
    "audit_view",
    "audited_bulk_create",
    "audited_delete",
    "audited_update",
    "canonical_json",
    "chain_head",
    "chains",
    "client_ip",
    "csv_rows",
    "enabled",
    "event_hash",
    "expected_head_present",
    "held_together",
    "install_sqlite_function",
    "maintenance",
    "new_event",
    "pending_count",
    "record",
    "record_many",
    "require_audit_admin",
    "search",
    "seal",
    "seal_if_due",
    "seal_mode",
    "verify",
    "verify_chain",
]
