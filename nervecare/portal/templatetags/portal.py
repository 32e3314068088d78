from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from nervecare.clients.models import Condition, MedicalContext
from nervecare.core.formatting import score
from nervecare.portal.models import ClientIntake
from nervecare.portal.selectors import account_for_client

register = template.Library()


@register.simple_tag
def trend_sentence(trend: dict[str, Any], what: str) -> str:
    """One plain sentence: where a 0-10 rating started, where it is now, in words a client reads at a glance."""
    values = {
        "what": what,
        "since": date_format(trend["since"], "j F"),
        "first": score(trend["first"]),
        "last": score(trend["last"]),
    }
    if trend["change"] <= -2:
        return _("Your %(what)s has come down: %(first)s on %(since)s, %(last)s now.") % values
    if trend["change"] >= 2:
        return (
            _("Your %(what)s has gone up: %(first)s on %(since)s, %(last)s now. Tell your therapist.")
            % values
        )
    return _("Your %(what)s is about the same: %(first)s on %(since)s, %(last)s now.") % values


@register.inclusion_tag("portal/partials/chart_reported.html")
def client_reported(client: Any) -> dict[str, Any]:
    """On the staff chart: what the client reported about themselves in the portal, marked as such."""

    def label(model: Any, name: str) -> str:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # an unknown key is shown as it was stored
            return name

    intakes = list(
        ClientIntake.objects.filter(client=client)
        .select_related("condition", "body_map", "reviewed_by")
        .order_by("-created_at", "-id")[:3]
    )
    for intake in intakes:
        reported = intake.reported or {}
        condition = reported.get("condition") or {}
        intake.condition_lines = [
            f"{label(Condition, k)}: {v}" for k, v in condition.items() if k not in ("type", "cause")
        ]
        intake.unknown_type_cause = (
            dict(Condition.Cause.choices).get(condition.get("cause"), condition.get("cause"))
            if condition and not condition.get("type")
            else ""
        )
        intake.medical_lines = [
            label(MedicalContext, k) if v is True else f"{label(MedicalContext, k)}: {v}"
            for k, v in (reported.get("medical") or {}).items()
            if k not in ("medications", "comorbidities")
        ]
    return {"intakes": intakes}


@register.inclusion_tag("portal/partials/chart_account.html", takes_context=True)
def portal_account_card(context: dict[str, Any], client: Any) -> dict[str, Any]:
    """On the staff chart: whether the client uses the portal, and the button to invite them."""
    return {
        "client": client,
        "portal_account": account_for_client(client),
        "csrf_token": context.get("csrf_token"),
    }
