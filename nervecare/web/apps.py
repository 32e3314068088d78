from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "nervecare.web"
    label = "web"
    verbose_name = "Staff web pages"
