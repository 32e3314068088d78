# noqa: N999 - the command is named as the issue asks: `nervecare import-clients`
"""`nervecare import-clients FILE --clinic SLUG --user ADMIN`: the CSV import from the command line.

Checks every row first (the dry run) and prints each problem by row and column; imports (all or nothing)
only with --commit and a clean check. Re-running the same file adds nothing. Exit 0 on success, 1 when the
file has problems or nothing was imported, 2 for bad arguments."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from nervecare.core.errors import FieldErrors
from nervecare.core.models import User
from nervecare.ops.importing import services
from nervecare.ops.models import ImportRun


class Command(BaseCommand):
    help = "Import clients (or appointments) from another system's CSV export: check, then --commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--user", required=True, help="the clinic admin doing the import (username)")
        parser.add_argument("--kind", choices=["clients", "appointments"], default="clients")
        parser.add_argument("--preset", default="generic", help="a shipped preset: generic, cliniko, ...")
        parser.add_argument(
            "--date-format", choices=["iso", "dmy", "mdy"], help="the order of the file's dates"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="override one column (repeatable)",
        )
        parser.add_argument("--commit", action="store_true", help="import (otherwise only the dry run)")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["user"]).first()
        if user is None or user.role != User.Role.ADMIN or user.clinic_id is None:
            raise CommandError(f"--user: {opts['user']!r} is not a clinic admin", returncode=2)
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"file: {path} does not exist", returncode=2)
        overrides: dict[str, str] = {}
        for item in opts["map"]:
            field, sep, column = item.partition("=")
            if not sep:
                raise CommandError(f"--map: {item!r} is not FIELD=COLUMN", returncode=2)
            overrides[field.strip()] = column.strip()
        try:
            run = services.import_upload(
                actor=user,
                kind=opts["kind"],
                filename=path.name,
                data=path.read_bytes(),
                preset=opts["preset"],
            )
            if overrides or opts["date_format"]:
                run = services.import_set_mapping(
                    actor=user,
                    run=run,
                    mapping={**run.mapping, **overrides},
                    date_format=opts["date_format"] or run.date_format,
                )
            run = services.import_dry_run(actor=user, run=run)
        except (FieldErrors, Http404) as exc:
            errors = exc.errors if isinstance(exc, FieldErrors) else {"file": str(exc)}
            raise CommandError("; ".join(f"{k}: {v}" for k, v in errors.items()), returncode=1) from None
        self._report(run)
        if run.report.get("error_count"):
            raise CommandError(f"{run.report['error_count']} problems: nothing imported", returncode=1)
        if not opts["commit"]:
            self.stdout.write("Dry run only: add --commit to import.")
            return
        run = services.import_commit(actor=user, run=run)
        if run.status != ImportRun.Status.DONE:
            self._report(run)
            raise CommandError(run.report.get("detail", "nothing imported"), returncode=1)
        self.stdout.write(self.style.SUCCESS("Imported: " + ", ".join(run.report.get("created_text", []))))

    def _report(self, run: ImportRun) -> None:
        r = run.report
        self.stdout.write(
            f"{r.get('rows', 0)} rows: {r.get('to_create', 0)} new, {r.get('matched_existing', 0)} matching "
            f"existing, {r.get('already_imported', 0)} imported before, {r.get('skipped_count', 0)} skipped, "
            f"{r.get('error_count', 0)} problems"
        )
        for e in r.get("errors", []):
            column = f" [{e['column']}]" if e["column"] else ""
            self.stderr.write(f"row {e['row']}{column} {e['field']}: {e['message']}")
