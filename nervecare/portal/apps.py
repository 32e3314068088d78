from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "nervecare.portal"
    label = "portal"
    verbose_name = "Client portal"

    def ready(self) -> None:
        # The record page's cards of what the client reported in the portal and of their portal account
        # (clients/hooks.py).
        from nervecare.clients.hooks import RecordCard, add_record_card, on_client_registered
        from nervecare.portal.selectors import diary_ratings, record_card_account, record_card_reported
        from nervecare.portal.services import invite_registered_client, waitlist_offer_email
        from nervecare.scheduling.hooks import on_waitlist_offer
        from nervecare.trials.hooks import register_ratings_reader

        # A single-client trial analyses the diary (trials sits below the portal and reads it through here).
        register_ratings_reader(diary_ratings)

        # A client the front desk registers is invited to complete the intake before the first visit.
        on_client_registered(invite_registered_client)
        # A waiting client offered a time is e-mailed the offer with the link that accepts it here.
        on_waitlist_offer(waitlist_offer_email)

        add_record_card(
            RecordCard("portal_reported", 15, "portal/partials/chart_reported.html", record_card_reported)
        )
        add_record_card(
            RecordCard("portal_account", 120, "portal/partials/chart_account.html", record_card_account)
        )
