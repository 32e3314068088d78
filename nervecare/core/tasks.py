"""Background jobs of the core app: sealing the audit trail's pending events (deferred sealing)."""

from huey import crontab

from nervecare.core import audit
from nervecare.core.jobs import huey


@huey.periodic_task(crontab(minute="*"))
def seal_audit_trail() -> int:
    """Every minute: seal the events no request has sealed yet (an idle app's last events). Several
    consumers may run it at once: each chain is sealed under its lock, a busy chain is left to its sealer."""
    return audit.seal(wait=False)
