"""Django's `flush`, let through the audit trail's append-only trigger.

Emptying the whole database (development, and the test runner between transactional tests) is the one
time audit events may go; the application itself never can (see nervecare/core/audit/__init__.py)."""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from nervecare.core import audit


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.alias != "default":
            return super().handle(**options)
        with audit.maintenance():
            return super().handle(**options)
