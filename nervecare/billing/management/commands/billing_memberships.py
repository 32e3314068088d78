"""`nervecare billing_memberships [--today YYYY-MM-DD]`: issue the memberships' monthly invoices that are due
(what the job queue runs every night; safe to run again: nothing is issued twice)."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nervecare.billing.services.memberships import membership_invoices_due


class Command(BaseCommand):
    help = "Issue every membership month that has begun and is not invoiced yet (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", help="the day to invoice up to (YYYY-MM-DD; default: each clinic's today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("today"):
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today: give a date as YYYY-MM-DD") from exc
        issued = membership_invoices_due(today=today)
        self.stdout.write(f"{issued} membership invoice(s) issued")
