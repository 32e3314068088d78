"""Background job of the set-up: the staff invitation email (the queue itself: core/jobs.py).

The job gets the user's id, never the link: the one-time token is made when the email is sent, so no secret
waits in the queue's storage."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from nervecare.core.jobs import huey
from nervecare.core.models import User
from nervecare.setup.invites import INVITE_DAYS, invite_link


@huey.task(retries=5, retry_delay=60)
def send_staff_invite(user_id: int, base_url: str = "") -> bool:
    """Email the invitation; nothing to do for a user who is gone, deactivated or already has a password."""
    user = User.objects.select_related("clinic").filter(pk=user_id).first()
    if user is None or not user.is_active or user.has_usable_password() or not user.email:
        return False
    context = {
        "user": user,
        "clinic": user.clinic,
        "link": invite_link(user, base_url or getattr(settings, "NERVECARE_PUBLIC_URL", "")),
        "days": INVITE_DAYS,
        "role": user.get_role_display(),
    }
    send_mail(
        render_to_string("setup/email/invite_subject.txt", context).strip(),
        render_to_string("setup/email/invite_body.txt", context),
        None,
        [user.email],
    )
    return True
