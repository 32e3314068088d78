from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "nervecare.plans"
    label = "plans"
