"""The dry run of a clients file: each row checked, matched to a client already here (by the old system's id,
or by name and birth date) or listed to create."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from nervecare.clients.selectors import clients_visible_to
from nervecare.core.models import User
from nervecare.core.permissions import clinic_id_of
from nervecare.ops.importing.fields import ADDRESS_PARTS, FIELDS
from nervecare.ops.importing.rows.result import Checked
from nervecare.ops.importing.rows.values import _lengths, _rows, parse_date
from nervecare.ops.models import ImportKey


def _name_key(first: str, last: str, dob: dt.date) -> str:
    return f"name:{first.casefold()}|{last.casefold()}|{dob.isoformat()}"


def check_clients(
    *,
    actor: User,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, str],
    date_format: str,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """The dry run of a clients file for `actor`'s clinic: only clients `actor` may see are ever matched."""
    out = Checked("clients", total=sum(1 for r in rows if r))
    clinic_id = clinic_id_of(actor)
    keys = dict(
        ImportKey.objects.filter(clinic_id=clinic_id, kind="client").values_list("external_id", "object_id")
    )
    visible = clients_visible_to(actor)
    visible_ids = set(visible.values_list("pk", flat=True))
    by_name: dict[str, int] = {}
    for pk, first_name, last_name, born in visible.values_list(
        "pk", "first_name", "last_name", "date_of_birth"
    ):
        by_name.setdefault(_name_key(first_name, last_name, born), pk)
    seen: dict[str, int] = {}
    today = timezone.localdate()
    dob: dt.date | None
    for n, (row, col_of) in enumerate(_rows("clients", headers, rows, mapping, out.problems)):
        if progress and n % 2000 == 0:
            progress(n)
        before = len(out.problems)
        values: dict[str, Any] = {}
        for name in ("first_name", "last_name"):
            if not row.get(name):
                row.error(name, "is empty", col_of(name))
        _lengths("clients", row, col_of, [f.name for f in FIELDS["clients"]])
        raw_dob = row.get("date_of_birth")
        dob = None
        if not raw_dob:
            row.error("date_of_birth", "is empty", col_of("date_of_birth"))
        else:
            try:
                dob = parse_date(raw_dob, date_format)
            except ValueError as exc:
                row.error("date_of_birth", str(exc), col_of("date_of_birth"))
            else:
                if dob > today:
                    row.error("date_of_birth", "is in the future", col_of("date_of_birth"))
                elif dob.year < 1900:
                    row.error("date_of_birth", "is before 1900", col_of("date_of_birth"))
        email = row.get("email")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row.error("email", f"“{email}” is not an email address", col_of("email"))
        if len(out.problems) > before or dob is None:
            continue
        first, last = row.get("first_name"), row.get("last_name")
        external = row.get("external_id")
        key = external or _name_key(first, last, dob)
        if key in seen:
            row.error(
                "external_id" if external else "first_name",
                f"the same client as row {seen[key]}",
                col_of("external_id" if external else "first_name"),
            )
            continue
        seen[key] = row.line
        if key in keys:
            if keys[key] in visible_ids:
                out.already += 1
            else:
                # Imported before, and since deleted (or not the importer's to see): never re-created or
                # matched behind anyone's back.
                row.error(
                    "external_id" if external else "first_name",
                    "this client was imported before and is no longer in your client list (deleted?): "
                    "restore them under Clients → Deleted clients, or leave the row out",
                    col_of("external_id" if external else "first_name"),
                )
            continue
        address = "\n".join(row.get(p) for p in ADDRESS_PARTS if row.get(p))
        values = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob,
            "email": email,
            "phone": row.get("phone"),
            "address": address,
            "emergency_contact_name": row.get("emergency_contact_name"),
            "emergency_contact_phone": row.get("emergency_contact_phone"),
            "referring_clinician": row.get("referring_clinician"),
        }
        match = by_name.get(_name_key(first, last, dob))
        if match is not None:
            out.linked.append({"key": key, "object_id": match, "line": row.line})
        else:
            out.new.append({"key": key, "values": values, "line": row.line})
    return out
