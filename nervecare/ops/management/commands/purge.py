"""`nervecare purge [--dry-run]`: erase deleted clients whose retention period has passed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from nervecare.ops import privacy


class Command(BaseCommand):
    help = (
        "List (--dry-run) or erase the deleted clients whose retention period (clinic setting "
        "record_retention_years, from the later of the last visit and the deletion) has passed. "
        "Each erasure is one transaction and leaves an audit event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be erased; change nothing"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        due = privacy.clients_due_for_purge()
        if not due:
            self.stdout.write("No deleted client is past its retention period.")
            return
        for client in due:
            ends = privacy.retention_ends_on(client)
            line = (
                f"client #{client.pk} of {client.clinic.slug}: deleted {client.deleted_at:%Y-%m-%d}, "
                f"retention ended {ends}"
            )
            if dry_run:
                self.stdout.write(f"would erase {line}")
                continue
            counts = privacy.client_erase(actor=None, client=client)
            self.stdout.write(f"erased {line} ({sum(counts.values())} rows)")
        if dry_run:
            self.stdout.write(f"{len(due)} client(s) would be erased. Run without --dry-run to erase them.")
        else:
            self.stdout.write(f"{len(due)} client(s) erased.")
