from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "nervecare.scheduling"
    label = "scheduling"
