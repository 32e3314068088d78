from django.apps import AppConfig


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
