from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "nervecare.screening"
    label = "screening"
