"""The week calendar page is ready for a strict CSP and carries what drag-to-reschedule needs."""

import datetime
import re

import pytest
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import Therapist
from nervecare.scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_week_page_has_no_inline_script_or_style_and_booked_blocks_are_draggable(therapist_user, clinic):
    therapist = Therapist.objects.get(user=therapist_user)
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(hours=2)
    booked = AppointmentFactory(client=ClientFactory(clinic=clinic), therapist=therapist, starts_at=start)
    done = AppointmentFactory(
        client=ClientFactory(clinic=clinic),
        therapist=therapist,
        starts_at=start - datetime.timedelta(hours=26),
        status="completed",
    )
    week = timezone.localdate().isoformat()
    html = login(therapist_user).get(f"/calendar/?week={week}&therapist={therapist.id}").content.decode()
    assert " style=" not in html and "onchange=" not in html and "onclick=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "every script is a file (script-src 'self')"
    assert 'src="/static/js/week.js"' in html
    assert f'data-appointment="{booked.id}"' in html
    assert f'data-reschedule-url="/api/v1/appointments/{booked.id}/reschedule"' in html
    assert f'data-appointment="{done.id}"' not in html, "only a booked appointment can be dragged"
