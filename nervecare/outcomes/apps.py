from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "nervecare.outcomes"
    label = "outcomes"

    def ready(self) -> None:
        # Register the report task with the job queue, so `nervecare run_jobs` can run it.
        from nervecare.outcomes import tasks  # noqa: F401
        from nervecare.outcomes.summary import connect_signals

        # Changes to a client's notes, screenings, conditions, plans or appointments mark their outcome
        # summary stale (in the same transaction), whichever service or admin made them.
        connect_signals()
