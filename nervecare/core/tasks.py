"""Background jobs of the core app: sealing the audit trail's pending events (deferred sealing) and signing
checkpoints of its chains' heads."""

import logging

from django.conf import settings
from huey import crontab

from nervecare.core import audit
from nervecare.core.audit import checkpoint as audit_checkpoint
from nervecare.core.jobs import huey

logger = logging.getLogger(__name__)


@huey.periodic_task(crontab(minute="*"))
def seal_audit_trail() -> int:
    """Every minute: seal the events no request has sealed yet (an idle app's last events). Several
    consumers may run it at once: each chain is sealed under its lock, a busy chain is left to its sealer."""
    return audit.seal(wait=False)


@huey.periodic_task(crontab(minute=f"*/{settings.NERVECARE_AUDIT_CHECKPOINT_MINUTES}"))
def checkpoint_audit_trail() -> int:
    """Every NERVECARE_AUDIT_CHECKPOINT_MINUTES: append each chain's head, signed, to the checkpoint file
    outside the database (core/audit/checkpoint.py). A chain that no longer matches is logged, not signed."""
    if audit_checkpoint.configured_path() is None:
        return 0
    try:
        return len(audit_checkpoint.write())
    except (audit_checkpoint.CheckpointError, OSError):
        logger.exception("audit checkpoint failed (the trail no longer matches, or the file)")
        return 0


@huey.task(retries=5, retry_delay=60)
def send_email(subject: str, body: str, recipients: list[str]) -> int:
    """One email sent by the queue, retried for a while if the mail server refuses (the caller's request
    is not held up by, nor lost to, a slow or down server). Enqueue it on commit, so a rolled-back write
    sends nothing."""
    from django.core.mail import send_mail

    return send_mail(subject, body, None, recipients)
