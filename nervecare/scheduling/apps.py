from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "nervecare.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # Registers the reminder job on the queue (core/jobs.py), so that the consumer runs it.
        from nervecare.scheduling import tasks  # noqa: F401
