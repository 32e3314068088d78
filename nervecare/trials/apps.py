from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "nervecare.trials"
    label = "trials"
    verbose_name = "Single-client trials"

    def ready(self) -> None:
        # A stop flag ends an open trial (the safety rules still apply): checked after every change to the
        # record, which re-runs the safety check first (clients/hooks.py; screening registers before us).
        from nervecare.clients.hooks import RecordCard, add_record_card, on_record_changed
        from nervecare.outcomes.hooks import add_client_report_section
        from nervecare.trials.reports import trial_report_section
        from nervecare.trials.selectors import record_card_trials
        from nervecare.trials.services import trial_safety_check

        on_record_changed(trial_safety_check)
        # The record page links the client's trials (clients/hooks.py).
        add_record_card(RecordCard("trials", 32, "trials/partials/record_trials.html", record_card_trials))
        # The client's progress report (PDF) ends with each completed trial's result (outcomes/hooks.py).
        add_client_report_section(trial_report_section)
