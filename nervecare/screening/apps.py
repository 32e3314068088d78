from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "nervecare.screening"
    label = "screening"

    def ready(self) -> None:
        # Every change to the clinical record re-runs the safety check, in the same transaction: the record
        # (a lower app) calls the hooks registered here without importing screening (clients/hooks.py).
        # The client's record as the API returns it shows the open flags and the latest screenings.
        from nervecare.clients.hooks import add_record_section, on_record_changed
        from nervecare.screening.selectors import client_record_section
        from nervecare.screening.services import safety_check_run

        on_record_changed(safety_check_run)
        add_record_section(client_record_section)
