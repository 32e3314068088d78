"""`nervecare run_jobs [--workers N] [--worker-type thread|process|greenlet] [--no-periodic]`: the job consumer."""

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from huey.consumer_options import ConsumerConfig

from nervecare.core.jobs import huey


class Command(BaseCommand):
    help = (
        "Run the background job consumer (reminders, reports, exports, audit sealing). Stop it with Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=1, help="tasks run at once (default 1)")
        parser.add_argument("--worker-type", choices=["thread", "process", "greenlet"], default="thread")
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="do not schedule the every-minute tasks (when another consumer already does)",
        )

    def handle(
        self, *args: Any, workers: int, worker_type: str, no_periodic: bool, verbosity: int, **options: Any
    ) -> None:
        if huey.immediate:
            raise CommandError("Jobs run inline here (tests or NERVECARE_JOBS_IMMEDIATE): there is no queue.")
        # huey's log levels: None is INFO, True is DEBUG, False is WARNING.
        verbose = {0: False, 1: None}.get(verbosity, True)
        config = ConsumerConfig(
            workers=workers, worker_type=worker_type, periodic=not no_periodic, verbose=verbose
        )
        config.validate()
        logger = logging.getLogger("huey")
        if not logger.handlers:  # unless the LOGGING setting already configures it
            config.setup_logger(logger)
            logger.propagate = False  # the root logger's console handler would print every line twice
        huey.create_consumer(**config.values).run()
