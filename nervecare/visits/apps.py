from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "nervecare.visits"
    label = "visits"
