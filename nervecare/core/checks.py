"""System checks for `nervecare check --deploy`."""

import os
from pathlib import Path
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


def _writable_dir(path: Path) -> bool:
    """`path` is a directory that can be written, or can be created under one that can."""
    while not path.exists():
        if path.parent == path:
            return False
        path = path.parent
    return path.is_dir() and os.access(path, os.W_OK)


@register(Tags.security, deploy=True)
def audit_checkpoints(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Signed checkpoints of the audit chains (core/audit/checkpoint.py) are on, writable and keyed."""
    problems = []
    value = getattr(settings, "NERVECARE_AUDIT_CHECKPOINT_FILE", "")
    if not value:
        problems.append(
            Warning(
                _(
                    "Audit checkpoints are off (NERVECARE_AUDIT_CHECKPOINT_FILE is empty): whoever can write the "
                    "database could remove the newest audit events or rewrite the chain undetected."
                ),
                hint=_(
                    "Set NERVECARE_AUDIT_CHECKPOINT_FILE to a file outside the database (deploy/README.md)."
                ),
                id="nervecare.W002",
            )
        )
    elif not _writable_dir(Path(value).parent):
        problems.append(
            Warning(
                _("The audit checkpoint file %(path)s cannot be written.") % {"path": value},
                hint=_("Create its directory, writable by the job queue's user."),
                id="nervecare.W003",
            )
        )
    key = getattr(settings, "NERVECARE_AUDIT_CHECKPOINT_KEY", "")
    if key and len(key) < 32:
        problems.append(
            Warning(
                _("NERVECARE_AUDIT_CHECKPOINT_KEY is shorter than 32 characters."),
                hint=_("Use a long random string, kept out of the database and its backups."),
                id="nervecare.W004",
            )
        )
    return problems
