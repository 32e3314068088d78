from django.apps import AppConfig


class SelfcareConfig(AppConfig):
    name = "nervecare.selfcare"
    label = "selfcare"
    verbose_name = "Home self-care"

    def ready(self) -> None:
        # The library is validated at start-up: a bad items.yaml stops the app with the item and field named.
        # The reminder job is registered with the queue by importing the tasks module (core/jobs.py).
        from nervecare.selfcare import tasks  # noqa: F401
        from nervecare.selfcare.library import library

        library()
