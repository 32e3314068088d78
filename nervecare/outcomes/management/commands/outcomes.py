"""`nervecare outcomes rebuild`: recompute the per-client outcome summaries (all clinics, or one)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nervecare.core.models import Clinic
from nervecare.outcomes import cohort_sql, summary


class Command(BaseCommand):
    help = (
        "Outcome summaries: `rebuild` recomputes every client's row of the summary table that the clinic "
        "outcomes page groups (normally kept up to date on every change; run it after a bulk import)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"], help="what to do")
        parser.add_argument("--clinic", help="the clinic's slug (default: every clinic)")
        parser.add_argument(
            "--engine",
            choices=cohort_sql.ENGINES,
            default=cohort_sql.DEFAULT_ENGINE,
            help="where the per-client numbers are computed (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinics = Clinic.objects.order_by("id")
        if options["clinic"]:
            clinics = clinics.filter(slug=options["clinic"])
            if not clinics.exists():
                raise CommandError(f"--clinic: no clinic with the slug {options['clinic']!r}")
        for clinic in clinics:
            started = time.perf_counter()

            def progress(done: int, total: int, clinic: Clinic = clinic, started: float = started) -> None:
                self.stdout.write(
                    f"{clinic.slug}: {done:,} of {total:,} clients ({done / total:.0%}), "
                    f"{time.perf_counter() - started:.1f} s"
                )

            done = summary.rebuild(clinic.id, engine=options["engine"], progress=progress)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{clinic.slug}: {done:,} client summaries rebuilt in {time.perf_counter() - started:.1f} s"
                )
            )
