from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "nervecare.booking"
    label = "booking"
    verbose_name = "Online booking for new clients"

    def ready(self) -> None:
        # The record page card sits just after the safety flags (which always come first).
        # A new client's first session waits for their intake (scheduling/hooks.py); the record page shows
        # how the client came (clients/hooks.py); the queue tidies unconfirmed requests (core/jobs.py).
        from nervecare.booking import tasks  # noqa: F401
        from nervecare.booking.selectors import (
            held_cancel_link,
            intake_check_in_block,
            record_card_online_booking,
        )
        from nervecare.clients.hooks import RecordCard, add_record_card
        from nervecare.scheduling.hooks import add_appointment_link, register_check_in_guard

        register_check_in_guard(intake_check_in_block)
        add_appointment_link(held_cancel_link)
        add_record_card(
            RecordCard("online_booking", 12, "booking/partials/record_card.html", record_card_online_booking)
        )
