"""Background jobs of scheduling: the every-minute reminder delivery (the queue itself: core/jobs.py)."""

from huey import crontab

from nervecare.core.jobs import huey
from nervecare.scheduling.reminders import deliver_due


@huey.periodic_task(crontab(minute="*"))
def deliver_reminders() -> dict[str, int]:
    """Every minute: send the reminder emails that are due (safe to run on several consumers at once)."""
    return deliver_due()


@huey.task(retries=5, retry_delay=60)
def email_day_list(therapist_id: int, day_iso: str) -> int:
    """Send a therapist their day list (times, clients and phone numbers, services, rooms)."""
    from datetime import date

    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from nervecare.core.models import Therapist
    from nervecare.scheduling.day import day_list

    therapist = Therapist.objects.select_related("user", "clinic").get(pk=therapist_id)
    day = date.fromisoformat(day_iso)
    context = {
        "therapist": therapist,
        "day": day,
        "rows": day_list(therapist, day),
        "clinic": therapist.clinic,
    }
    return send_mail(
        render_to_string("scheduling/email/day_list_subject.txt", context).strip(),
        render_to_string("scheduling/email/day_list_body.txt", context),
        None,
        [therapist.user.email],
    )
