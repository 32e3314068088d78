from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "nervecare.plans"
    label = "plans"

    def ready(self) -> None:
        # The client's record page shows the care plans, and the client list filters by the plan's status:
        # clients (below) calls what is registered here (clients/hooks.py).
        from django import forms
        from django.utils.translation import gettext_lazy as _

        from nervecare.clients.hooks import ListFilter, RecordCard, add_list_filter, add_record_card
        from nervecare.core.labels import register_values
        from nervecare.plans.models import CarePlan
        from nervecare.plans.recommend import plan_data
        from nervecare.plans.selectors import client_list_plan_status, record_card_plans

        # Qualifications, modalities, scopes and pressures by their labels in plan_defaults.yaml.
        for kind, key in (
            ("qualification", "qualifications"),
            ("modality", "modalities"),
            ("scope", "scopes"),
            ("pressure", "pressures"),
        ):
            register_values(kind, lambda key=key: {e["code"]: e["label"] for e in plan_data()[key]})

        add_record_card(RecordCard("plans", 20, "plans/partials/record_plans.html", record_card_plans))
        add_list_filter(
            ListFilter(
                name="plan_status",
                field=lambda: forms.ChoiceField(
                    required=False,
                    label=_("Plan"),
                    choices=[("", _("Any")), ("none", _("No plan yet")), *CarePlan.Status.choices],
                ),
                apply=client_list_plan_status,
            )
        )
