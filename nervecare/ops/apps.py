from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "nervecare.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # The record page's card to export or delete the client's data (clients/hooks.py).
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.ops.selectors import record_card_data

        add_record_card(RecordCard("client_data", 40, "ops/partials/record_data.html", record_card_data))
