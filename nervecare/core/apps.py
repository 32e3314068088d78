from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nervecare.core"
    label = "core"
    verbose_name = "NerveCare core"

    def ready(self) -> None:
        from nervecare.core import auth_signals  # noqa: F401 - connects the sign-in receivers
