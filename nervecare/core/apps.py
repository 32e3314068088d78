from django.apps import AppConfig
from ninja import Schema

# Issue 20 (worker memory): an API schema builds its validator and serializer the first time it is used
# (pydantic's defer_build), not when its module is imported. A worker that serves a few routes does not
# carry the compiled validators of all 200 (about 7 MiB); the first request of a route pays its build once.
# Set here, the first NerveCare module Django imports, so it holds for every Schema subclass defined after
# it (ninja's own and NerveCare's); core/tests/test_startup_imports.py checks it holds.
Schema.model_config["defer_build"] = True


class CoreConfig(AppConfig):
    name = "nervecare.core"
    label = "core"
    verbose_name = "NerveCare core"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from nervecare.core import audit, checks, tasks  # noqa: F401 - receivers, checks, jobs
        from nervecare.core.auth import signals  # noqa: F401 - sign-in and token-cache receivers

        connection_created.connect(audit.install_sqlite_function, dispatch_uid="nervecare_audit_sqlite")
        # Deferred sealing: after the response has gone out, at most once per interval per process.
        request_finished.connect(audit.seal_if_due, dispatch_uid="nervecare_audit_seal")
