from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "nervecare.interop"
    label = "interop"
    verbose_name = "FHIR interoperability"

    def ready(self) -> None:
        # Register the export job with the queue in every process, the job consumer's included.
        from nervecare.interop import bulk  # noqa: F401 - defines the jobs
