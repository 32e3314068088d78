"""`nervecare send_reminders [--limit N]`: send the due reminder emails once (for cron, or by hand)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from nervecare.scheduling.reminders import deliver_due


class Command(BaseCommand):
    help = "Send the reminder emails that are due now, once, and print how many were sent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="at most this many emails (default 100)")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        counts = deliver_due(limit=limit)
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))
