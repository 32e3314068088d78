from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "nervecare.trials"
    label = "trials"
    verbose_name = "Single-client trials"

    def ready(self) -> None:
        # A stop flag ends an open trial (the safety rules still apply): checked after every change to the
        # record, which re-runs the safety check first (clients/hooks.py; screening registers before us).
        from nervecare.clients.hooks import on_record_changed
        from nervecare.trials.services import trial_safety_check

        on_record_changed(trial_safety_check)
