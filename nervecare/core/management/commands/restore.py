"""`nervecare restore FILE [--force]`: a backup into an empty, migrated database (SQLite or PostgreSQL)."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError

from nervecare.core import backup


class Command(BaseCommand):
    help = (
        "Restore a `nervecare backup` file into an empty database that `nervecare migrate` has prepared. "
        "One transaction: on any error nothing is changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a file written by `nervecare backup`")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database alias to restore into")
        parser.add_argument(
            "--force", action="store_true", help="replace the data already in the database (it is deleted)"
        )
        parser.add_argument("--check", action="store_true", help="only verify the file's checksum and counts")

    def handle(self, *args: Any, file: str, database: str, force: bool, check: bool, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        started = time.perf_counter()
        try:
            if check:
                header, manifest = backup.verify(path)
                rows = sum(manifest["counts"].values())
                self.stdout.write(
                    f"{path} is intact: {rows} rows in {len(manifest['counts'])} tables, made "
                    f"{header['created_at']} from {header['engine']}."
                )
                return
            verbose = options.get("verbosity", 1) > 1
            counts = backup.restore(
                path,
                alias=database,
                force=force,
                progress=(lambda t, n: self.stderr.write(f"  {t}: {n}")) if verbose else None,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        except (IntegrityError, DatabaseError) as exc:
            raise CommandError(f"The restore failed and nothing was changed: {exc}") from exc
        self.stdout.write(
            f"Restored {sum(counts.values())} rows into {len(counts)} tables from {path} "
            f"in {time.perf_counter() - started:.1f} s."
        )
