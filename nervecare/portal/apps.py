from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "nervecare.portal"
    label = "portal"
    verbose_name = "Client portal"
