from django.apps import AppConfig


class FootcheckConfig(AppConfig):
    name = "nervecare.footcheck"
    label = "footcheck"
    verbose_name = "Daily foot check"

    def ready(self) -> None:
        # An open red-flag report feeds the safety check as facts (screening/hooks.py): the matching existing
        # stop flag opens at once and stays open through every re-run of the check (check-in runs it) until the
        # therapist records the assessment. The record page shows the foot checks (clients/hooks.py).
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.core.labels import register_values
        from nervecare.footcheck import rules
        from nervecare.footcheck.selectors import record_card_foot_checks, reported_facts
        from nervecare.screening.hooks import add_fact_source

        add_fact_source(reported_facts)
        register_values("foot_check_finding", rules.finding_labels)
        add_record_card(
            RecordCard("foot_checks", 14, "footcheck/partials/record_card.html", record_card_foot_checks)
        )
