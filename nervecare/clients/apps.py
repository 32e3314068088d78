from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "nervecare.clients"
    label = "clients"
