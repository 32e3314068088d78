from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from nervecare.core.formatting import score

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
