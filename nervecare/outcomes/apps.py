from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "nervecare.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        # Register the report task with the job queue, so `nervecare run_jobs` can run it.
        from nervecare.outcomes import tasks  # noqa: F401
