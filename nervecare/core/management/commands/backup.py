"""`nervecare backup FILE`: every table to one gzip file with a manifest (row counts, SHA-256)."""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from nervecare.core import backup


class Command(BaseCommand):
    help = "Back up the whole database (SQLite or PostgreSQL) to a portable file; restore with `nervecare restore`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="where to write the backup, e.g. nervecare-2026-11-25.ncbak")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database alias to back up")
        parser.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")

    def handle(self, *args: Any, file: str, database: str, overwrite: bool, **options: Any) -> None:
        path = Path(file)
        if path.exists() and not overwrite:
            raise CommandError(f"{path} exists; choose another name or pass --overwrite.")
        if not path.parent.exists():
            raise CommandError(f"{path.parent} does not exist.")
        started = time.perf_counter()
        verbose = options.get("verbosity", 1) > 1
        manifest = backup.backup(
            path,
            alias=database,
            progress=(lambda t, n: self.stderr.write(f"  {t}: {n}")) if verbose else None,
        )
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"Backed up {rows} rows from {len(manifest['counts'])} tables to {path} "
            f"({path.stat().st_size / 1024:.0f} KiB, {time.perf_counter() - started:.1f} s). "
            f"SHA-256 {manifest['sha256']}"
        )
