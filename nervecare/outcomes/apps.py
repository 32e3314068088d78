from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "nervecare.outcomes"
    label = "outcomes"
