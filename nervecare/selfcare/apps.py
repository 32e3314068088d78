from django.apps import AppConfig


class SelfcareConfig(AppConfig):
    name = "nervecare.selfcare"
    label = "selfcare"
    verbose_name = "Home self-care"

    def ready(self) -> None:
        # The library is validated at start-up: a bad items.yaml stops the app with the item and field named.
        # The reminder job is registered with the queue by importing the tasks module (core/jobs.py). The
        # record page and the plan page show the programme through their hooks (clients and plans sit below).
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.core.labels import register_values
        from nervecare.plans.hooks import add_plan_section
        from nervecare.selfcare import tasks  # noqa: F401
        from nervecare.selfcare.library import library
        from nervecare.selfcare.selectors import plan_section_selfcare, record_card_selfcare

        items = library().items
        register_values("selfcare_item", {code: item.title for code, item in items.items()})
        add_record_card(
            RecordCard("selfcare", 45, "selfcare/partials/record_selfcare.html", record_card_selfcare)
        )
        add_plan_section(plan_section_selfcare)
