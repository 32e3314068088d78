from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "nervecare.ops"
    label = "ops"
    verbose_name = "Operations"
