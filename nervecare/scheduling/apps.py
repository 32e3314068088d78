from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "nervecare.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        # Registers the reminder job on the queue (core/jobs.py), so that the consumer runs it.
        # The record page's upcoming sessions and the plan page's progress come from here; clients and
        # plans (below) call what is registered (clients/hooks.py, plans/hooks.py).
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.plans.hooks import add_plan_section
        from nervecare.scheduling import tasks  # noqa: F401
        from nervecare.scheduling.selectors import plan_page_progress, record_card_upcoming

        add_record_card(
            RecordCard(
                "upcoming_sessions", 50, "scheduling/partials/record_sessions.html", record_card_upcoming
            )
        )
        add_plan_section(plan_page_progress)
