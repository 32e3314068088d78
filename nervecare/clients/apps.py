from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "nervecare.clients"
    label = "clients"

    def ready(self) -> None:
        # The record page's own cards; the apps above add theirs the same way (clients/hooks.py).
        from nervecare.clients import bodymap
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.core.labels import register_values

        register_values("region", lambda: {c: r["label"] for c, r in bodymap.regions().items()})
        register_values("sensation", bodymap.sensations)
        from nervecare.clients.selectors import (
            record_card_body_map,
            record_card_conditions,
            record_card_contact,
            record_card_medical,
            record_card_sharing,
        )

        for card in (
            RecordCard("conditions", 70, "clients/partials/record_conditions.html", record_card_conditions),
            RecordCard("body_map", 80, "clients/partials/record_body_map.html", record_card_body_map),
            RecordCard("medical", 90, "clients/partials/record_medical.html", record_card_medical),
            RecordCard("contact", 100, "clients/partials/record_contact.html", record_card_contact),
            RecordCard("sharing", 110, "clients/sharing.html", record_card_sharing),
        ):
            add_record_card(card)
