from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "nervecare.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        # Register the report and summary-refresh jobs with the queue, so `nervecare run_jobs` can run them.
        from nervecare.outcomes import services  # noqa: F401
        from nervecare.outcomes.summary import connect_signals

        # Changes to a client's notes, screenings, conditions, plans or appointments mark their outcome
        # summary stale (in the same transaction), whichever service or admin made them.
        connect_signals()

        # The record page's outcomes card (clients/hooks.py).
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.outcomes.selectors import record_card_outcomes

        add_record_card(
            RecordCard("outcomes", 30, "outcomes/partials/record_outcomes.html", record_card_outcomes)
        )
