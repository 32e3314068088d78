from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "nervecare.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # The record page's card to export or delete the client's data (clients/hooks.py).
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.ops.documents import record_card_documents
        from nervecare.ops.importing import tasks  # noqa: F401 - the import jobs, known to the consumer
        from nervecare.ops.selectors import record_card_data

        add_record_card(RecordCard("client_data", 40, "ops/partials/record_data.html", record_card_data))
        add_record_card(
            RecordCard("documents", 38, "ops/partials/record_documents.html", record_card_documents)
        )
