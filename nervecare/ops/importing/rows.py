"""Reading a CSV file and checking every row against the clinic: the dry run. Nothing here writes.

Each problem names the row as a spreadsheet shows it (the header is row 1), the file's column and the field in
the user's words. The same checks run again inside the import's transaction, so what the dry run passed is
what gets written, and a booking made in between is caught rather than double-booked."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone

from nervecare.clients.selectors import clients_visible_to
from nervecare.core.errors import FieldErrors
from nervecare.core.localtime import to_utc
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import clinic_id_of
from nervecare.ops.importing.fields import ADDRESS_PARTS, FIELDS, label_of
from nervecare.ops.models import ImportKey
from nervecare.scheduling.models import BLOCKING_STATUSES, Appointment, Room, Service
from nervecare.scheduling.selectors import clinic_tz
from nervecare.screening.models import SafetyFlag

MAX_ROWS = 200_000
DATE_FORMATS = {
    "iso": ("%Y-%m-%d", "%Y/%m/%d"),
    "dmy": ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"),
    "mdy": ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"),
}
DATE_FORMAT_LABELS = {
    "iso": "Year-month-day (2026-03-31)",
    "dmy": "Day/month/year (31/03/2026)",
    "mdy": "Month/day/year (03/31/2026)",
}
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p", "%I%p")
CANCELLED = {"cancelled", "canceled", "cancelled by client", "cancelled by practitioner", "deleted"}
NO_SHOW = {"no-show", "no show", "noshow", "did not arrive", "dna", "missed"}


class ImportFileError(FieldErrors):
    """The file itself cannot be read (encoding, no header row, too many rows): 422 naming the file."""


@dataclass
class Problem:
    row: int
    column: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field, "message": self.message}


@dataclass
class Checked:
    """The dry run's result: what would be created, what is already here, and every problem."""

    kind: str
    total: int = 0
    problems: list[Problem] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)  # rows to create
    linked: list[dict[str, Any]] = field(default_factory=list)  # rows matching an existing record: key only
    already: int = 0  # rows imported before (their key exists): nothing to do
    skipped: list[dict[str, Any]] = field(default_factory=list)  # rows not imported, and why
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.total,
            "to_create": len(self.new),
            "matched_existing": len(self.linked),
            "already_imported": self.already,
            "skipped": self.skipped[:1000],
            "skipped_count": len(self.skipped),
            "error_count": len(self.problems),
            "errors": [p.as_dict() for p in self.problems[:5000]],
            "conflicts": self.conflicts[:1000],
            "conflict_count": len(self.conflicts),
            "new_past_visits": sum(1 for r in self.new if r.get("past")),
        }


# --- the file -----------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without the byte-order mark Excel writes), else Windows-1252, as exports come."""
    if b"\x00" in data[:4096]:
        raise ImportFileError({"file": "This is not a CSV text file (it holds binary data)."})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(text: str) -> tuple[list[str], list[list[str]]]:
    """The header row and the data rows. Comma, semicolon or tab separated (sniffed)."""
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFileError(
            {"file": "The file is empty: it needs a header row and one row per record."}
        ) from None
    except csv.Error as exc:
        raise ImportFileError({"file": f"The file could not be read as CSV: {exc}."}) from None
    headers = [h.strip() for h in headers]
    if not any(headers):
        raise ImportFileError({"file": "The first row must name the columns."})
    if len({h for h in headers if h}) != len([h for h in headers if h]):
        dupes = sorted({h for h in headers if h and headers.count(h) > 1})
        raise ImportFileError({"file": f"Two columns have the same name: {', '.join(dupes)}."})
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                rows.append([])  # keeps the row numbers; skipped below
                continue
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise ImportFileError({"file": f"The file has more than {MAX_ROWS:,} rows: split it."})
    except csv.Error as exc:
        raise ImportFileError({"file": f"Row {reader.line_num}: {exc}."}) from None
    if not any(rows):
        raise ImportFileError({"file": "The file has a header row but no records."})
    return headers, rows


def check_mapping(kind: str, headers: list[str], mapping: dict[str, str], date_format: str) -> dict[str, str]:
    """Errors in the mapping itself: unknown fields or columns, a required field left unmapped."""
    errors: dict[str, str] = {}
    known = {f.name: f for f in FIELDS[kind]}
    for name, column in mapping.items():
        if name not in known:
            errors[f"mapping.{name}"] = "is not a field NerveCare imports"
        elif column and column not in headers:
            errors[f"mapping.{name}"] = f"the file has no column called “{column}”"
    for f in FIELDS[kind]:
        if f.required and not mapping.get(f.name):
            errors[f"mapping.{f.name}"] = f"{f.label}: choose the column that holds it"
    if kind == "appointments" and not (mapping.get("client_external_id") or mapping.get("client_email")):
        errors["mapping.client_external_id"] = "Choose the column with the client's id or their email"
    if date_format not in DATE_FORMATS:
        errors["date_format"] = "Choose one of: " + ", ".join(DATE_FORMAT_LABELS.values())
    return errors


# --- values -------------------------------------------------------------------------------------------------


def parse_date(value: str, date_format: str) -> dt.date:
    value = value.strip()
    head = value.split("T")[0].split(" ")[0] if date_format == "iso" else value.split(" ")[0]
    for fmt in DATE_FORMATS[date_format]:
        try:
            return dt.datetime.strptime(head, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    raise ValueError(f"“{value}” is not a date in the chosen order ({DATE_FORMAT_LABELS[date_format]})")


def parse_time(value: str) -> dt.time:
    value = value.strip().upper()
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).time()  # noqa: DTZ007 - a wall-clock time
        except ValueError:
            continue
    raise ValueError(f"“{value}” is not a time (e.g. 14:30 or 2:30 PM)")


def _time_in_date(value: str) -> dt.time | None:
    """A date cell that also carries the time (2026-03-31 14:30 or 2026-03-31T14:30)."""
    rest = value.strip().replace("T", " ", 1).split(" ", 1)
    if len(rest) == 2 and ":" in rest[1]:
        return parse_time(rest[1][:8].rstrip("Z"))
    return None


class _Row:
    """One data row seen through the mapping."""

    __slots__ = ("cells", "col", "kind", "line", "problems")

    def __init__(self, kind: str, line: int, cells: list[str], col: dict[str, int], problems: list[Problem]):
        self.kind, self.line, self.cells, self.col, self.problems = kind, line, cells, col, problems

    def get(self, name: str) -> str:
        i = self.col.get(name)
        if i is None or i >= len(self.cells):
            return ""
        return self.cells[i].strip()

    def error(self, name: str, message: str, column: str = "") -> None:
        self.problems.append(Problem(self.line, column, label_of(self.kind, name), message))


def _rows(
    kind: str, headers: list[str], rows: list[list[str]], mapping: dict[str, str], problems: list[Problem]
) -> Iterable[tuple[_Row, Callable[[str], str]]]:
    col = {name: headers.index(column) for name, column in mapping.items() if column in headers}
    header_of = {name: column for name, column in mapping.items() if column}
    for i, cells in enumerate(rows):
        if not cells:
            continue
        row = _Row(kind, i + 2, cells, col, problems)
        yield row, lambda name: header_of.get(name, "")


def _lengths(kind: str, row: _Row, col_of: Callable[[str], str], names: Iterable[str]) -> bool:
    ok = True
    limits = {f.name: f.max_length for f in FIELDS[kind]}
    for name in names:
        limit = limits.get(name)
        if limit and len(row.get(name)) > limit:
            row.error(name, f"is longer than {limit} characters", col_of(name))
            ok = False
    return ok


# --- clients ------------------------------------------------------------------------------------------------


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


# --- appointments -------------------------------------------------------------------------------------------


def _lookup(names: Iterable[tuple[int, Iterable[str]]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pk, aliases in names:
        for alias in aliases:
            if alias:
                out.setdefault(alias.strip().casefold(), pk)
    return out


@dataclass
class _Resources:
    therapists: dict[str, int]
    therapist_user: dict[int, int]
    services: dict[str, Service]
    rooms: dict[str, int]


def _resources(clinic_id: int) -> _Resources:
    therapists = list(Therapist.objects.filter(clinic_id=clinic_id).select_related("user").order_by("pk"))
    services = list(Service.objects.filter(clinic_id=clinic_id, active=True).order_by("pk"))
    service_by: dict[str, Service] = {}
    for s in services:
        for alias in (s.name, s.code):
            service_by.setdefault(alias.strip().casefold(), s)
    return _Resources(
        therapists=_lookup(
            (t.pk, (t.display_name, t.user.username, t.user.get_full_name(), t.user.email))
            for t in therapists
        ),
        therapist_user={t.pk: t.user_id for t in therapists},
        services=service_by,
        rooms=_lookup(
            (pk, (name,))
            for pk, name in Room.objects.filter(clinic_id=clinic_id, active=True).values_list("pk", "name")
        ),
    )


def check_appointments(
    *,
    actor: User,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, str],
    date_format: str,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """The dry run of an appointments file: past rows become past visits, future rows bookings that must not
    overlap anything (the therapist's and room's time with its buffer, the client's session)."""
    out = Checked("appointments", total=sum(1 for r in rows if r))
    clinic = actor.clinic
    assert clinic is not None
    tz = clinic_tz(clinic)
    now = timezone.now()
    res = _resources(clinic.pk)
    client_keys = dict(
        ImportKey.objects.filter(clinic_id=clinic.pk, kind="client").values_list("external_id", "object_id")
    )
    appt_keys = set(
        ImportKey.objects.filter(clinic_id=clinic.pk, kind__in=("appointment", "visit")).values_list(
            "external_id", flat=True
        )
    )
    visible = clients_visible_to(actor)
    visible_ids = set(visible.values_list("pk", flat=True))
    by_email: dict[str, int | None] = {}
    for pk, email in visible.exclude(email="").values_list("pk", "email"):
        k = email.casefold()
        by_email[k] = None if k in by_email else pk  # two clients with one email: ambiguous
    seen: dict[str, int] = {}
    for n, (row, col_of) in enumerate(_rows("appointments", headers, rows, mapping, out.problems)):
        if progress and n % 5000 == 0:
            progress(n)
        before = len(out.problems)
        _lengths("appointments", row, col_of, [f.name for f in FIELDS["appointments"]])
        # the client
        client_id: int | None = None
        ext = row.get("client_external_id")
        email = row.get("client_email")
        if ext:
            client_id = client_keys.get(ext)
            if client_id is None or client_id not in visible_ids:
                row.error(
                    "client_external_id",
                    f"no imported client has the id “{ext}”: import the clients file first",
                    col_of("client_external_id"),
                )
                client_id = None
        elif email:
            client_id = by_email.get(email.casefold())
            if client_id is None:
                message = (
                    "two clients have this email: give the client's id instead"
                    if email.casefold() in by_email
                    else f"no client has the email “{email}”"
                )
                row.error("client_email", message, col_of("client_email"))
        else:
            row.error(
                "client_external_id", "is empty (give the client's id or email)", col_of("client_external_id")
            )
        # the time
        raw_date = row.get("date")
        day: dt.date | None = None
        at: dt.time | None = None
        if not raw_date:
            row.error("date", "is empty", col_of("date"))
        else:
            try:
                day = parse_date(raw_date, date_format)
                at = _time_in_date(raw_date)
            except ValueError as exc:
                row.error("date", str(exc), col_of("date"))
        raw_time = row.get("time")
        if raw_time:
            try:
                at = parse_time(raw_time)
            except ValueError as exc:
                row.error("time", str(exc), col_of("time"))
        status = row.get("status").casefold()
        if len(out.problems) > before or client_id is None or day is None:
            continue
        starts_at: dt.datetime | None = None
        if at is not None:
            try:
                starts_at = to_utc(dt.datetime.combine(day, at), tz, field="time")
            except FieldErrors as exc:
                row.error("time", exc.errors["time"], col_of("time"))
                continue
        past = (starts_at or dt.datetime.combine(day, dt.time(23, 59), tzinfo=tz)) < now
        key = (
            row.get("external_id")
            or f"auto:{client_id}|{(starts_at.isoformat() if starts_at else day.isoformat())}"
        )
        if key in seen:
            row.error("external_id", f"the same appointment as row {seen[key]}", col_of("external_id"))
            continue
        seen[key] = row.line
        if key in appt_keys:
            out.already += 1
            continue
        if status in CANCELLED:
            out.skipped.append({"row": row.line, "reason": "cancelled in the other system"})
            continue
        therapist_text, service_text = row.get("therapist"), row.get("service")
        if past:
            out.new.append(
                {
                    "key": key,
                    "line": row.line,
                    "past": True,
                    "client_id": client_id,
                    "visited_on": day,
                    "starts_at": starts_at,
                    "therapist_name": therapist_text,
                    "service_name": service_text,
                    "status": "no-show" if status in NO_SHOW else (row.get("status") or "attended"),
                }
            )
            continue
        if status in NO_SHOW:
            row.error("status", "a future appointment cannot be a no-show", col_of("status"))
            continue
        if starts_at is None:
            row.error("time", "is empty: a future appointment needs its start time", col_of("time"))
            continue
        therapist_id = res.therapists.get(therapist_text.casefold()) if therapist_text else None
        if therapist_id is None:
            row.error(
                "therapist",
                f"no therapist here is called “{therapist_text}”" if therapist_text else "is empty",
                col_of("therapist"),
            )
        service = res.services.get(service_text.casefold()) if service_text else None
        if service is None:
            row.error(
                "service",
                f"no service here is called “{service_text}”" if service_text else "is empty",
                col_of("service"),
            )
        room_id = None
        if row.get("room"):
            room_id = res.rooms.get(row.get("room").casefold())
            if room_id is None:
                row.error("room", f"no room here is called “{row.get('room')}”", col_of("room"))
        minutes = service.minutes if service is not None else 0
        if row.get("duration_minutes"):
            try:
                minutes = int(float(row.get("duration_minutes")))
                if not 5 <= minutes <= 480:
                    raise ValueError
            except ValueError:
                row.error(
                    "duration_minutes",
                    "must be a whole number of minutes between 5 and 480",
                    col_of("duration_minutes"),
                )
        if len(out.problems) > before or service is None or therapist_id is None:
            continue
        ends_at = starts_at + dt.timedelta(minutes=minutes)
        out.new.append(
            {
                "key": key,
                "line": row.line,
                "past": False,
                "client_id": client_id,
                "therapist_id": therapist_id,
                "therapist_user_id": res.therapist_user[therapist_id],
                "service_id": service.pk,
                "room_id": room_id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "blocked_until": ends_at + dt.timedelta(minutes=service.buffer_minutes),
            }
        )
    _conflicts(out, clinic.pk)
    _stop_flags(out, clinic.pk, {svc.pk: svc.modality for svc in res.services.values()})
    out.problems.sort(key=lambda p: p.row)
    return out


def _stop_flags(out: Checked, clinic_id: int, modality_of: dict[int, str]) -> None:
    """A future booking for a client with an open safety stop is refused, as in NerveCare itself (the
    scheduling rule: a stop blocks sessions of the modalities it applies to, or all): the row is listed as a
    problem, never booked silently. Re-checked inside the import's transaction like every row. One query: the
    clinic's open stops."""
    future = [r for r in out.new if not r["past"]]
    if not future:
        return
    stops: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    for client_id, title, applies_to in SafetyFlag.objects.filter(
        client__clinic_id=clinic_id, status=SafetyFlag.Status.OPEN, level="stop"
    ).values_list("client_id", "title", "applies_to"):
        stops[client_id].append((title, applies_to or []))
    if not stops:
        return
    bad: dict[int, str] = {}
    for r in future:
        modality = modality_of.get(r["service_id"], "")
        titles = [t for t, applies in stops.get(r["client_id"], []) if not applies or modality in applies]
        if titles:
            bad[r["line"]] = (
                f"the client has an open safety stop ({'; '.join(titles)}): no session can be booked until a "
                "therapist resolves it"
            )
    for r in future:
        message = bad.get(r["line"])
        if message:
            out.problems.append(
                Problem(r["line"], "", label_of("appointments", "client_external_id"), message)
            )
            out.conflicts.append(
                {"row": r["line"], "starts_at": r["starts_at"].isoformat(), "message": message}
            )
    out.new = [r for r in out.new if r["past"] or r["line"] not in bad]


def _conflicts(out: Checked, clinic_id: int) -> None:
    """Every future row against the bookings already here and against each other: therapist and room hold
    [start, end + buffer), the client [start, end) (the scheduling rule). A conflicting row is an error."""
    future = [r for r in out.new if not r["past"]]
    if not future:
        return
    lo = min(r["starts_at"] for r in future)
    hi = max(r["blocked_until"] for r in future)
    intervals: dict[tuple[str, int], list[tuple[dt.datetime, dt.datetime, int, str]]] = defaultdict(list)
    existing = Appointment.objects.filter(
        clinic_id=clinic_id, status__in=BLOCKING_STATUSES, starts_at__lt=hi
    ).filter(Q(blocked_until__gt=lo))
    for pk, t, room, c, s, e, b in existing.values_list(
        "pk", "therapist_id", "room_id", "client_id", "starts_at", "ends_at", "blocked_until"
    ):
        intervals[("therapist", t)].append((s, b, 0, f"an appointment already booked in NerveCare (#{pk})"))
        if room is not None:
            intervals[("room", room)].append((s, b, 0, f"an appointment already booked in NerveCare (#{pk})"))
        intervals[("client", c)].append((s, e, 0, f"an appointment already booked in NerveCare (#{pk})"))
    for r in future:
        intervals[("therapist", r["therapist_id"])].append(
            (r["starts_at"], r["blocked_until"], r["line"], f"row {r['line']}")
        )
        if r["room_id"] is not None:
            intervals[("room", r["room_id"])].append(
                (r["starts_at"], r["blocked_until"], r["line"], f"row {r['line']}")
            )
        intervals[("client", r["client_id"])].append(
            (r["starts_at"], r["ends_at"], r["line"], f"row {r['line']}")
        )
    bad: dict[int, str] = {}
    words = {"therapist": "the therapist is", "room": "the room is", "client": "the client is"}
    for (what, _pk), spans in intervals.items():
        if len(spans) < 2:
            continue
        spans.sort(key=lambda x: (x[0], x[2]))
        held_until, holder_line, holder = spans[0][1], spans[0][2], spans[0][3]
        for s, e, line, who in spans[1:]:
            if s < held_until:
                if line:
                    bad.setdefault(line, f"{words[what]} already taken at that time by {holder}")
                elif holder_line:  # a row of the file overlaps a booking already here that starts later
                    bad.setdefault(holder_line, f"{words[what]} already taken at that time by {who}")
            if e > held_until:
                held_until, holder_line, holder = e, line, who
    if not bad:
        return
    for r in future:
        message = bad.get(r["line"])
        if message:
            out.problems.append(Problem(r["line"], "", label_of("appointments", "time"), message))
            out.conflicts.append(
                {"row": r["line"], "starts_at": r["starts_at"].isoformat(), "message": message}
            )
    out.new = [r for r in out.new if r["past"] or r["line"] not in bad]


def check(kind: str, **kwargs: Any) -> Checked:
    return (check_clients if kind == "clients" else check_appointments)(**kwargs)
