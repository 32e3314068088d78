from django.apps import AppConfig


class SetupConfig(AppConfig):
    """The clinic owner's set-up: clinic details and booking rules, safety thresholds, staff, services, rooms,
    therapists' hours and time off, closures and public holidays (pages under /setup/, API under /api/v1/setup/).
    No models of its own: it writes the models of core, screening and scheduling through its services."""

    name = "nervecare.setup"
    label = "clinic_setup"
    verbose_name = "Clinic set-up"

    def ready(self) -> None:
        from nervecare.setup import tasks  # noqa: F401  (registers the invitation email job on the queue)
