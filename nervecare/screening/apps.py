from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "nervecare.screening"
    label = "screening"

    def ready(self) -> None:
        # Every change to the clinical record re-runs the safety check, in the same transaction: the record
        # (a lower app) calls the hooks registered here without importing screening (clients/hooks.py).
        # The client's record as the API returns it shows the open flags and the latest screenings; the
        # record page shows the safety flags card and the screenings card.
        from nervecare.clients.hooks import (
            REQUIRED_CARD,
            RecordCard,
            add_record_card,
            add_record_section,
            on_record_changed,
        )
        from nervecare.core.labels import register_values
        from nervecare.screening.instruments import all_definitions
        from nervecare.screening.safety import ruleset
        from nervecare.screening.selectors import (
            client_record_section,
            record_card_flags,
            record_card_screenings,
        )
        from nervecare.screening.services import safety_check_run

        # Pages, errors and PDFs name instruments and rules by their titles (core/labels.py).
        register_values("instrument", lambda: {c: d.short_title for c, d in all_definitions().items()})
        register_values("rule", lambda: {r.id: r.title for r in ruleset().rules})

        on_record_changed(safety_check_run)
        add_record_section(client_record_section)
        add_record_card(
            RecordCard(REQUIRED_CARD, 10, "screening/partials/record_flags.html", record_card_flags)
        )
        add_record_card(
            RecordCard("screenings", 60, "screening/partials/record_screenings.html", record_card_screenings)
        )
