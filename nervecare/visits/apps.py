from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "nervecare.visits"
    label = "visits"

    def ready(self) -> None:
        # The record page's past sessions and their notes (clients/hooks.py).
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.visits.selectors import record_card_past_sessions

        add_record_card(
            RecordCard(
                "past_sessions", 55, "visits/partials/record_past_sessions.html", record_card_past_sessions
            )
        )
