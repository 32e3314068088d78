"""Backup and restore timings for the demo clinic (and its size), SQLite and optionally PostgreSQL.

1. migrate a throw-away SQLite database and seed it with `nervecare demo`,
2. `nervecare backup` it (the command prints rows, size and seconds),
3. migrate a second, empty database and `nervecare restore` into it (prints seconds),
4. with --pg URL: the same restore into an empty PostgreSQL database you created (e.g. createdb nc_bench),
   then a backup from PostgreSQL.

    uv run python bench/backup_bench.py
    uv run python bench/backup_bench.py --pg postgres://postgres@127.0.0.1:5432/nc_bench
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def nervecare(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "nervecare", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", help="an EMPTY PostgreSQL database URL to restore into as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = f"sqlite:///{Path(tmp) / 'source.sqlite3'}"
        target = f"sqlite:///{Path(tmp) / 'target.sqlite3'}"
        file = str(Path(tmp) / "demo.ncbak")
        nervecare(source, "migrate", "-v0")
        nervecare(source, "demo")
        print("SQLite backup: ", nervecare(source, "backup", file))
        nervecare(target, "migrate", "-v0")
        print("SQLite restore:", nervecare(target, "restore", file))
        if args.pg:
            nervecare(args.pg, "migrate", "-v0")
            print("PostgreSQL restore:", nervecare(args.pg, "restore", file))
            print("PostgreSQL backup: ", nervecare(args.pg, "backup", str(Path(tmp) / "pg.ncbak")))


if __name__ == "__main__":
    main()
