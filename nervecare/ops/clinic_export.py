"""The clinic-wide export (issue 16 §5): everything the clinic holds, as CSV and JSON in one zip, so a clinic
can leave as easily as it came. Admins only; audited. Soft-deleted clients are included (marked by their
`deleted_at`); secrets are not (password hashes, API token hashes, second-factor keys, calendar-feed tokens,
sessions), nor the audit trail, which has its own export (/audit/, `nervecare audit`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from nervecare.core.audit import record as audit_record
from nervecare.core.formatting import spreadsheet_text
from nervecare.core.models import Clinic, User
from nervecare.core.permissions import clinic_of, require_admin

SCHEMA = "nervecare-clinic-export"
SCHEMA_VERSION = "1"
# Never leave the installation: credentials and secrets, and tables that are not the clinic's data.
EXCLUDED = {
    "core.auditevent",
    "core.apitoken",
    "scheduling.calendartoken",
    "ops.importrun",  # the uploaded files themselves; what they created is exported
    "core.idempotencyrecord",  # a day's stored answers to retried requests, not the clinic's records
}
EXCLUDED_FIELDS = {"password", "token", "token_hash", "key", "secret", "bin_key"}
# A foot-check photo's file name ends with its type (the type its bytes showed when it was sent).
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}
# Only the people of the clinic, without credentials.
USER_FIELDS = (
    "id",
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "is_active",
    "date_joined",
    "last_login",
)


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _csv_cell(value: Any) -> Any:
    """One CSV cell: JSON values as JSON; text that a spreadsheet would run as a formula (a name typed as
    `=HYPERLINK(...)` on the public booking page) kept as text; numbers, including negative amounts, as they are."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        return spreadsheet_text(value)
    return value


def _clinic_path(model: type[models.Model], depth: int = 0) -> str | None:
    """The lookup from `model` to its clinic's id ("clinic_id", "client__clinic_id", ...), or None."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    for f in fields:
        if f.related_model is Clinic:
            return f.attname if f.name == "clinic" else f"{f.name}_id"
    if depth >= 3:
        return None
    for name in (
        "client",
        "appointment",
        "note",
        "plan",
        "therapist",
        "user",
        "response",
        "series",
        "body_map",
        "account",
        "flag",
        "run",
        "programme",
        "trial",
    ):
        for f in fields:
            if f.name == name and isinstance(f.related_model, type):
                inner = _clinic_path(f.related_model, depth + 1)
                if inner is not None:
                    return f"{f.name}__{inner}"
    return None


def exported_models() -> list[tuple[type[models.Model], str]]:
    """Every model of the project's apps that belongs to a clinic, with its lookup to the clinic."""
    out = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if not model.__module__.startswith("nervecare") or label in EXCLUDED or ".historical" in label:
            continue
        if model is Clinic:
            continue
        path = "clinic_id" if model is User else _clinic_path(model)
        if path is not None:
            out.append((model, path))
    return sorted(out, key=lambda m: m[0]._meta.label_lower)


def _columns(model: type[models.Model]) -> list[str]:
    if model is User:
        return list(USER_FIELDS)
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in EXCLUDED_FIELDS and not isinstance(f, models.BinaryField)
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _rows(
    model: type[models.Model], path: str, clinic_id: int, columns: list[str]
) -> Iterator[dict[str, Any]]:
    qs = model._base_manager.filter(**{path: clinic_id}).order_by("pk").values(*columns)
    for row in qs.iterator(chunk_size=2000):
        yield {k: _plain(v) for k, v in row.items()}


def clinic_export_build(*, actor: User) -> tuple[IO[bytes], str, dict[str, int]]:
    """The zip (a temporary file, rewound), its name and the rows per table. Audited."""
    require_admin(actor)
    clinic = clinic_of(actor)
    now = timezone.now()
    spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    counts: dict[str, int] = {}
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        clinic_row = {f.attname: _plain(getattr(clinic, f.attname)) for f in clinic._meta.concrete_fields}
        zf.writestr("json/core.clinic.json", json.dumps([clinic_row], cls=DjangoJSONEncoder, indent=1))
        for model, path in exported_models():
            label = model._meta.label_lower
            columns = _columns(model)
            n = 0
            with zf.open(f"csv/{label}.csv", "w") as raw_csv:
                text_csv = io.TextIOWrapper(raw_csv, encoding="utf-8", newline="")
                writer = csv.DictWriter(text_csv, fieldnames=columns)
                writer.writeheader()
                for row in _rows(model, path, clinic.pk, columns):
                    writer.writerow({k: _csv_cell(v) for k, v in row.items()})
                    n += 1
                text_csv.flush()
                text_csv.detach()
            with zf.open(f"json/{label}.json", "w") as raw_json:
                text_json = io.TextIOWrapper(raw_json, encoding="utf-8")
                text_json.write("[")
                for i, row in enumerate(_rows(model, path, clinic.pk, columns)):
                    text_json.write(("," if i else "") + "\n" + json.dumps(row, cls=DjangoJSONEncoder))
                text_json.write("\n]\n")
                text_json.flush()
                text_json.detach()
            counts[label] = n
        documents = apps.get_model("ops", "ClientDocument")
        for doc_id, name, data in (
            documents._base_manager.filter(clinic_id=clinic.pk)
            .values_list("pk", "original_name", "data")
            .iterator(chunk_size=50)
        ):
            safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in (name or "document"))[:100]
            zf.writestr(f"documents/{doc_id}-{safe}", bytes(data))
        photos = apps.get_model("footcheck", "FootCheckPhoto")
        for photo_id, check_id, content_type, data in (
            photos._base_manager.filter(client__clinic_id=clinic.pk)
            .order_by("pk")
            .values_list("pk", "foot_check_id", "content_type", "data")
            .iterator(chunk_size=50)
        ):
            ext = PHOTO_EXTENSIONS.get(content_type, "bin")
            zf.writestr(f"foot_check_photos/{photo_id}-foot-check-{check_id}.{ext}", bytes(data))
        manifest = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "generated_at": now.isoformat(),
            "clinic": {"id": clinic.pk, "name": clinic.name},
            "tables": counts,
            "formats": "Each table as csv/<table>.csv and json/<table>.json (the same rows); each document's "
            "file under documents/<id>-<name> (its row in ops.clientdocument); each foot-check photo under "
            "foot_check_photos/<id>-foot-check-<check id>.<type> (its row in footcheck.footcheckphoto). JSON "
            "values in CSV cells are JSON. A CSV text cell starting with = + - @ (or a tab or carriage return) "
            "has an apostrophe put before it, so a spreadsheet shows it as text and never runs it as a formula; "
            "the JSON copy holds every value exactly as stored.",
            "not_included": "Passwords, API tokens, second-factor keys and calendar-feed tokens (secrets); the "
            "audit trail (exported by itself at /audit/).",
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
    spool.seek(0)
    audit_record(
        actor=actor,
        action="view",
        obj=clinic,
        summary=f"Clinic-wide export ({sum(counts.values())} rows)",
        changes={"tables": counts},
    )
    return spool, f"nervecare-{clinic.slug}-{now:%Y%m%d-%H%M}.zip", counts
