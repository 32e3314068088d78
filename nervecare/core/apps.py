from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nervecare.core"
    label = "core"
    verbose_name = "NerveCare core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from nervecare.core import audit, auth_signals, checks  # noqa: F401 - sign-in receivers, system checks

        connection_created.connect(audit.install_sqlite_function, dispatch_uid="nervecare_audit_sqlite")
