"""Course expiry (the job queue runs it every hour: tasks.expire_courses)."""

import datetime

from django.db import transaction
from django.utils import timezone

from nervecare.billing.models import Course
from nervecare.billing.selectors import clinic_zone
from nervecare.core.services import audit_record


def course_expire_due(*, today: datetime.date | None = None) -> int:
    """Mark active courses past their expiry date as expired: a course is usable to the end of its last day
    in its clinic's time zone (without `today`, each clinic's own today; not the server's date). Their unused
    sessions stay in the books (course liabilities list them as expired)."""
    count = 0
    candidates = Course.objects.filter(status=Course.Status.ACTIVE, expires_on__isnull=False)
    if today is not None:
        candidates = candidates.filter(expires_on__lt=today)
    else:  # no clinic's today is later than tomorrow in UTC (UTC+14): only these can be due
        candidates = candidates.filter(expires_on__lte=timezone.now().date())
    for course in candidates.select_related("clinic"):
        local_today = today or timezone.localdate(timezone=clinic_zone(course.clinic))
        assert course.expires_on is not None
        if course.expires_on >= local_today:
            continue
        with transaction.atomic():
            course.status = Course.Status.EXPIRED
            course.save(update_fields=["status"])
            audit_record(actor=None, action="update", obj=course, summary="Expired")
        count += 1
    return count
