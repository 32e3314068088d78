"""Logical, database-neutral backup and restore of every table (SQLite and PostgreSQL, either way round).

The file is gzip-compressed JSON lines:
    line 1      {"format": "nervecare-backup", "version": 1, "created_at": ..., "engine": ..., "migrations": {...}}
    then        {"table": "<app_label.Model>", "fields": [attnames...]}  once per table, followed by
                [value, value, ...]                                       one line per row, in primary-key order
    last line   {"manifest": {"counts": {table: rows}, "sha256": <hex of every line above, as written>}}

Tables are written parents first (foreign keys), so a restore inserts in file order. Values are written
losslessly (full-precision datetimes, decimals as strings, binary as base64) and read back with each field's
own to_python. Rows are inserted as they are (raw inserts: no save(), no signals, no auto_now), never updated,
so append-only tables such as the audit trail restore cleanly. Skipped: sessions (everyone signs in again).
"""

import base64
import datetime as dt
import gzip
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from nervecare.core import audit
from nervecare.core.models import ApiToken
from nervecare.core.services import token_cache_forget

FORMAT = "nervecare-backup"
VERSION = 1
BATCH = 500
# Not data: sessions are throw-away (restored users sign in again).
SKIPPED = {"sessions.session"}
# Created by `migrate` in every database; a restore replaces them with the backup's rows (same ids, so every
# reference to a content type or permission stays right).
REPLACED = ["auth.permission", "contenttypes.contenttype"]


class BackupError(Exception):
    """A backup file that cannot be restored, or a database that must not be restored into."""


def backup_models() -> list[type[models.Model]]:
    """Every concrete table Django manages (including M2M through tables and history tables), parents first."""
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in SKIPPED
    ]
    labels = {m._meta.label_lower: m for m in candidates}
    deps: dict[str, set[str]] = {}
    for m in candidates:
        parents = set()
        for f in m._meta.concrete_fields:
            if f.is_relation and f.related_model is not None:
                target = f.related_model._meta.label_lower
                if target != m._meta.label_lower and target in labels:
                    parents.add(target)
        deps[m._meta.label_lower] = parents
    ordered: list[str] = []
    done: set[str] = set()
    remaining = sorted(deps)
    while remaining:
        ready = [label for label in remaining if deps[label] <= done]
        if not ready:  # a cycle: foreign keys are deferred to commit on both engines, so any order works
            ready = remaining[:1]
        for label in ready:
            ordered.append(label)
            done.add(label)
        remaining = [label for label in remaining if label not in done]
    return [labels[label] for label in ordered]


def _fields(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return str(value)


def _decoder(field: models.Field) -> Callable[[Any], Any]:
    """Turn a JSON value back into what the field stores."""
    if isinstance(field, models.JSONField):
        return lambda v: v
    if isinstance(field, models.BinaryField):
        return lambda v: None if v is None else base64.b64decode(v["$b64"])
    if isinstance(field, models.DurationField):
        return lambda v: None if v is None else dt.timedelta(*v["$td"])
    target = field.target_field if isinstance(field, models.ForeignKey) else field  # a concrete relation
    return lambda v: None if v is None else target.to_python(v)


def applied_migrations(alias: str) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    out: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        out.setdefault(app, []).append(name)
    return out


class _Writer:
    def __init__(self, stream: IO[bytes] | gzip.GzipFile):
        self.stream = stream
        self.digest = hashlib.sha256()

    def line(self, obj: Any) -> None:
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self.digest.update(data)
        self.stream.write(data)


def backup(
    path: str | Path, *, alias: str = "default", progress: Callable[[str, int], None] | None = None
) -> dict:
    """Write every table of the database to `path`; returns the manifest (rows per table and the checksum).

    One read transaction (REPEATABLE READ on PostgreSQL) so the copy is consistent while the clinic works."""
    connection = connections[alias]
    counts: dict[str, int] = {}
    outermost = not connection.in_atomic_block
    if alias == "default":
        audit.seal()  # the audit trail's pending events go into the copy sealed (those of the next second may not)
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        tmp = Path(f"{path}.partial")
        with gzip.open(tmp, "wb", compresslevel=6) as stream:
            out = _Writer(stream)
            out.line(
                {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": timezone.now().isoformat(),
                    "engine": connection.vendor,
                    "migrations": applied_migrations(alias),
                }
            )
            for model in backup_models():
                label = model._meta.label_lower
                fields = _fields(model)
                names = [f.attname for f in fields]
                out.line({"table": label, "fields": names})
                n = 0
                rows = model._base_manager.using(alias).order_by("pk").values_list(*names)
                for row in rows.iterator(chunk_size=2000):
                    out.line([_encode(v) for v in row])
                    n += 1
                counts[label] = n
                if progress:
                    progress(label, n)
            manifest = {"counts": counts, "sha256": out.digest.hexdigest()}
            stream.write(json.dumps({"manifest": manifest}).encode() + b"\n")
        tmp.replace(path)
    return manifest


def _read_lines(path: str | Path) -> Iterator[bytes]:
    try:
        with gzip.open(path, "rb") as stream:
            yield from stream
    except (OSError, EOFError) as exc:
        raise BackupError(f"{path} is not a readable NerveCare backup ({exc}).") from exc


def verify(path: str | Path) -> tuple[dict, dict]:
    """(header, manifest) after checking the whole file against its SHA-256; BackupError if it does not match."""
    digest = hashlib.sha256()
    header: dict | None = None
    last: bytes | None = None
    for line in _read_lines(path):
        if last is not None:
            digest.update(last)
        last = line
        if header is None:
            try:
                header = json.loads(line)
            except ValueError:
                header = {}
            if header.get("format") != FORMAT:
                raise BackupError(f"{path} is not a NerveCare backup (no header).")
    if header is None or last is None:
        raise BackupError(f"{path} is empty.")
    try:
        manifest = json.loads(last)["manifest"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            f"{path} is incomplete: the manifest at the end is missing (truncated file?)."
        ) from exc
    if manifest.get("sha256") != digest.hexdigest():
        raise BackupError(f"{path} is damaged: its SHA-256 does not match the manifest.")
    if header.get("version") != VERSION:
        raise BackupError(
            f"{path} has backup format version {header.get('version')}; this NerveCare reads {VERSION}."
        )
    return header, manifest


def existing_rows(alias: str) -> dict[str, int]:
    """Tables of the target that already hold data (besides what `migrate` creates)."""
    out = {}
    for model in backup_models():
        label = model._meta.label_lower
        if label in REPLACED:
            continue
        n = model._base_manager.using(alias).count()
        if n:
            out[label] = n
    return out


def restore(
    path: str | Path,
    *,
    alias: str = "default",
    force: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Restore a backup into the database `alias`, in one transaction; returns rows per table.

    The database must be migrated to the same migrations as the backup and hold no data (unless force: then
    the existing rows are deleted first, inside the same transaction)."""
    header, manifest = verify(path)
    connection = connections[alias]
    _check_migrations(header["migrations"], applied_migrations(alias))
    models_by_label = {m._meta.label_lower: m for m in backup_models()}
    unknown = sorted(set(manifest["counts"]) - set(models_by_label))
    if unknown:
        raise BackupError(f"The backup holds tables this NerveCare does not have: {', '.join(unknown)}.")
    with transaction.atomic(using=alias):
        busy = existing_rows(alias)
        if busy and not force:
            listed = ", ".join(f"{k} ({v})" for k, v in sorted(busy.items())[:8])
            raise BackupError(
                f"The database is not empty: {listed}. Restore into an empty, migrated database, or pass "
                "--force to replace its data."
            )
        replaced_tokens = _token_digests(alias)
        # Every table (they are empty, or --force asked to replace them), so references never dangle.
        _clear(connection, list(reversed(backup_models())))
        counts = _load_rows(path, alias, models_by_label, progress)
        expected = dict(manifest["counts"])
        if counts != expected:
            diff = {k: (counts.get(k), v) for k, v in expected.items() if counts.get(k) != v}
            raise BackupError(f"Row counts do not match the manifest: {diff}.")
        _reset_sequences(connection, [models_by_label[label] for label in counts])
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    # API tokens cached before the restore (they may be gone, or belong to other users now), and the restored.
    token_cache_forget(replaced_tokens + _token_digests(alias))
    return counts


def _check_migrations(backup: dict[str, list[str]], target: dict[str, list[str]]) -> None:
    """Refuse a database whose applied migrations differ from the backup's, naming the difference."""
    if target == backup:
        return
    missing = sorted(
        f"{app}.{name}" for app, names in backup.items() for name in names if name not in target.get(app, [])
    )
    extra = sorted(
        f"{app}.{name}" for app, names in target.items() for name in names if name not in backup.get(app, [])
    )
    raise BackupError(
        "The database schema does not match the backup: run `nervecare migrate` on an empty database of "
        "the same NerveCare version. "
        + (f"Missing migrations: {', '.join(missing[:10])}. " if missing else "")
        + (f"Not in the backup: {', '.join(extra[:10])}." if extra else "")
    )


def _load_rows(
    path: str | Path,
    alias: str,
    models_by_label: dict[str, type[models.Model]],
    progress: Callable[[str, int], None] | None,
) -> dict[str, int]:
    """Insert the backup's rows, table by table in batches; returns rows per table."""
    connection = connections[alias]
    counts: dict[str, int] = {}
    model: Any = None
    fields: list[models.Field] = []
    decoders: list[Callable[[Any], Any]] = []
    names: list[str] = []
    batch_size = BATCH
    batch: list[models.Model] = []

    def flush() -> None:
        if batch:
            model._base_manager.using(alias)._insert(batch, fields=fields, raw=True, using=alias)
            batch.clear()

    lines = _read_lines(path)
    next(lines)  # the header, already checked
    for raw in lines:
        item = json.loads(raw)
        if isinstance(item, dict):
            flush()
            if "manifest" in item:
                break
            if model is not None and progress:
                progress(model._meta.label_lower, counts[model._meta.label_lower])
            model = models_by_label[item["table"]]
            by_name = {f.attname: f for f in _fields(model)}
            missing = [n for n in item["fields"] if n not in by_name]
            if missing:
                raise BackupError(f"{item['table']}: columns {missing} are not in this database.")
            fields = [by_name[n] for n in item["fields"]]
            decoders = [_decoder(f) for f in fields]
            names = item["fields"]
            batch_size = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, [None] * BATCH)))
            counts[item["table"]] = 0
            continue
        obj = model(**{n: d(v) for n, d, v in zip(names, decoders, item, strict=True)})
        batch.append(obj)
        counts[model._meta.label_lower] += 1
        if len(batch) >= batch_size:
            flush()
    if model is not None and progress:
        progress(model._meta.label_lower, counts[model._meta.label_lower])
    return counts


def _token_digests(alias: str) -> list[str]:
    return list(ApiToken.objects.using(alias).values_list("token_hash", flat=True))


def _clear(connection: Any, to_clear: list[type[models.Model]]) -> None:
    """Empty the tables, children first (raw statements: no signals, no cascades in Python). PostgreSQL
    truncates. The append-only audit table is left alone (it must already be empty)."""
    if not to_clear:
        return
    quote = connection.ops.quote_name
    audit = [m for m in to_clear if m._meta.label_lower == "core.auditevent"]
    if audit:
        # The audit trail is append-only (triggers refuse UPDATE, DELETE and TRUNCATE): it can be restored into,
        # never emptied. It has no foreign-key constraints, so the other tables can be emptied without it.
        if audit[0]._base_manager.using(connection.alias).exists():
            raise BackupError(
                "The database already holds an audit trail, which is append-only and cannot be replaced: "
                "restore into a new, empty database (nervecare migrate, then nervecare restore)."
            )
        to_clear = [m for m in to_clear if m not in audit]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(quote(m._meta.db_table) for m in to_clear)
            cursor.execute(f"TRUNCATE {tables}")
            return
        for model in to_clear:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def _reset_sequences(connection: Any, restored: list[type[models.Model]]) -> None:
    """PostgreSQL: move each id sequence past the restored ids (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
