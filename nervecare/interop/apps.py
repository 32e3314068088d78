from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "nervecare.interop"
    label = "interop"
