"""Course expiry (the job queue runs it nightly: tasks.expire_courses)."""

import datetime

from django.db import transaction
from django.utils import timezone

from nervecare.billing.models import Course
from nervecare.core.services import audit_record


def course_expire_due(*, today: datetime.date | None = None) -> int:
    """Mark active courses past their expiry date as expired. Their unused sessions stay in the books
    (course liabilities list them as expired)."""
    today = today or timezone.localdate()
    count = 0
    for course in Course.objects.filter(status=Course.Status.ACTIVE, expires_on__lt=today):
        with transaction.atomic():
            course.status = Course.Status.EXPIRED
            course.save(update_fields=["status"])
            audit_record(actor=None, action="update", obj=course, summary="Expired")
        count += 1
    return count
