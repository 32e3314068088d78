from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from nervecare.web.templatetags.nervecare import score

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
    from nervecare.portal.models import ClientIntake

    return {
        "intakes": ClientIntake.objects.filter(client=client)
        .select_related("condition", "body_map", "reviewed_by")
        .order_by("-created_at", "-id")[:3]
    }
