"""System checks for `nervecare check --deploy`."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.translation import gettext as _


@register(Tags.security, deploy=True)
def audit_trail_on(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if getattr(settings, "NERVECARE_AUDIT", True):
        return []
    return [
        Warning(
            _(
                "The audit trail is switched off (NERVECARE_AUDIT=0): reads and changes of clinical data are "
                "not recorded."
            ),
            hint=_("Unset NERVECARE_AUDIT or set it to 1. Switch it off only to measure its cost."),
            id="nervecare.W001",
        )
    ]
