"""Self-care reminder e-mails at the time each client chose (issue 18 point 3).

`send_due(now)` runs every minute on the job queue (tasks.py): a client whose reminder time has passed
today (their clinic's local day and time) and who has items due and not yet all ticked gets one e-mail a day.
The day is claimed with a conditional UPDATE before the e-mail is queued (core.tasks.send_email, on commit),
so two workers never send twice. The e-mail names no clinical detail: how many items, and the portal link.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nervecare.core.tasks import send_email
from nervecare.selfcare.models import ReminderSetting
from nervecare.selfcare.selectors import today_items

logger = logging.getLogger(__name__)


def _portal_link() -> str:
    base = (getattr(settings, "NERVECARE_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}/portal/self-care/" if base else "/portal/self-care/ (sign in to your client portal)"


def _queue(subject: str, body: str, recipient: str) -> Callable[[], object]:
    return lambda: send_email(subject, body, [recipient])


def send_due(now: datetime.datetime | None = None) -> int:
    """Queue today's reminders that are due; the number queued."""
    now = now or timezone.now()
    sent = 0
    candidates = (
        ReminderSetting.objects.filter(enabled=True, client__deleted_at__isnull=True)
        .exclude(client__email="")
        .select_related("client__clinic")
    )
    for setting in candidates:
        client = setting.client
        local = timezone.localtime(now, ZoneInfo(client.clinic.timezone or "UTC"))
        today = local.date()
        if local.time() < setting.remind_at or setting.last_sent_on == today:
            continue
        left = [t for t in today_items(client, today) if not t.paused and t.done is None]
        if not left:
            continue
        with transaction.atomic():
            claimed = (
                ReminderSetting.objects.filter(pk=setting.pk)
                .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=today))
                .update(last_sent_on=today)
            )
            if not claimed:
                continue
            subject = f"{client.clinic.name}: your home self-care for today"
            body = (
                f"Hello {client.first_name},\n\n"
                f"This is the reminder you asked for: {len(left)} home self-care "
                f"item{'s' if len(left) != 1 else ''} for today are not ticked off yet.\n\n"
                f"Open your list: {_portal_link()}\n\n"
                "To change the time or stop these e-mails, use the same page.\n"
                f"{client.clinic.name}\n"
            )
            transaction.on_commit(_queue(subject, body, client.email))
            sent += 1
    return sent
