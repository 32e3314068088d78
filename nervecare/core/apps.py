from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nervecare.core"
    label = "core"
    verbose_name = "NerveCare core"
