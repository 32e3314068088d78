from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "nervecare.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # The record page shows the client's courses and balance (clients/hooks.py); a no-show or late
        # cancellation marked in scheduling raises the clinic's fee, and a checked-out visit links to its check-out
        # page here (scheduling/hooks.py); the invoice e-mail
        # is a job (core/jobs.py: each app's tasks module is imported here).
        from nervecare.billing import periodic, tasks  # noqa: F401
        from nervecare.billing.selectors import check_out_link, record_card_billing
        from nervecare.billing.services.fees import on_appointment_status
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.scheduling.hooks import add_check_out_link, add_status_listener

        add_record_card(
            RecordCard("billing", 70, "billing/partials/record_billing.html", record_card_billing)
        )
        add_status_listener(on_appointment_status)
        add_check_out_link(check_out_link)
