"""GET /appointments (a time range): the same rows as appointment_as_dict, in one query, whatever the count."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja.renderers import JSONRenderer

from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.scheduling.api import appointment_as_dict
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.tests.factories import AppointmentFactory, RoomFactory, ServiceFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
NOT_OWN = ("django_session", "core_user", "otp_", "core_apitoken", "core_auditevent", "axes_")


def url(**kw):
    end = kw.pop("end", START + dt.timedelta(days=2))
    extra = "".join(f"&{k}={v}" for k, v in kw.items())
    return f"/api/v1/appointments?start={START.isoformat()}&end={end.isoformat()}{extra}".replace("+", "%2B")


@pytest.fixture
def week(clinic, other_clinic, therapist_user, junior_therapist_user):
    clinic.timezone = "America/New_York"
    clinic.save()
    service = ServiceFactory(clinic=clinic, name="Foot care")
    room = RoomFactory(clinic=clinic)
    alice, bob = therapist_user.therapist, junior_therapist_user.therapist
    maria = ClientFactory(clinic=clinic, first_name="Maria", last_name="Lopez")
    wei = ClientFactory(clinic=clinic, first_name="Wei", last_name="Chen")
    gone = ClientFactory(clinic=clinic, first_name="Gone", deleted_at=timezone.now())

    def at(hours, **kw):
        kw.setdefault("client", maria)
        kw.setdefault("therapist", alice)
        return AppointmentFactory(service=service, starts_at=START + dt.timedelta(hours=hours), **kw)

    made = {
        "alice_maria": at(10, room=room, due_measures=["nrs_pain"]),
        "bob_wei": at(11, client=wei, therapist=bob),
        "alice_wei_done": at(14, client=wei, status="completed"),
        "cancelled": at(15, status="cancelled", cancel_reason="ill"),
        "deleted_client": at(16, client=gone),
        "later": at(30, client=wei),
        "outside": at(60),
    }
    # Another clinic's appointment in the same hours.
    AppointmentFactory(client=ClientFactory(clinic=other_clinic), starts_at=START + dt.timedelta(hours=10))
    return made


def read(http, path):
    with CaptureQueriesContext(connection) as ctx:
        r = http.get(path)
    assert r.status_code == 200, r.content
    own = [q["sql"] for q in ctx.captured_queries if not any(t in q["sql"] for t in NOT_OWN)]
    return r.json(), own


def expected(*appointments):
    """What appointment_as_dict says, through the same JSON rendering."""
    rows = [
        appointment_as_dict(
            Appointment.objects.select_related("client", "therapist", "service", "clinic").get(pk=a.pk)
        )
        for a in appointments
    ]
    return json.loads(JSONRenderer().render(None, rows, response_status=200))


def test_range_rows_are_appointment_as_dict_in_one_query(api, week):
    rows, sql = read(api, url())

    w = week
    assert rows == expected(w["alice_maria"], w["bob_wei"], w["alice_wei_done"], w["later"])
    assert len(sql) == 1, "\n".join(sql)
    assert "scheduling_room" not in sql[0]  # the room's id is on the appointment
    assert rows[0]["local_start"].endswith("-05:00") and rows[0]["time_zone"] == "America/New_York"
    assert rows[0]["due_measures"] == ["nrs_pain"] and rows[0]["room_id"] == w["alice_maria"].room_id


def test_range_filters(api, week, therapist_user):
    w = week
    alice = therapist_user.therapist.id
    assert read(api, url(therapist_id=alice))[0] == expected(
        w["alice_maria"], w["alice_wei_done"], w["later"]
    )
    assert read(api, url(client_id=w["bob_wei"].client_id))[0] == expected(
        w["bob_wei"], w["alice_wei_done"], w["later"]
    )
    assert read(api, url(room_id=w["alice_maria"].room_id))[0] == expected(w["alice_maria"])
    assert read(api, url(include_cancelled="true", end=START + dt.timedelta(hours=20)))[0] == expected(
        w["alice_maria"], w["bob_wei"], w["alice_wei_done"], w["cancelled"]
    )


def test_range_query_count_does_not_grow(api, week):
    _, few = read(api, url())
    for i in range(8):
        AppointmentFactory(
            client=ClientFactory(clinic=week["later"].clinic),
            therapist=week["later"].therapist,
            service=week["later"].service,
            starts_at=START + dt.timedelta(hours=32 + 2 * i),  # 75 min held each
        )

    rows, many = read(api, url())

    assert len(rows) == 12 and len(many) == len(few) == 1


def test_range_shows_only_the_clinic_s_own_and_refuses_bad_ranges(week, other_clinic_user):
    rows = login(other_clinic_user).get(url()).json()
    assert [r["client_id"] for r in rows] == list(
        Appointment.objects.filter(clinic=other_clinic_user.clinic).values_list("client_id", flat=True)
    )
    assert login(other_clinic_user).get(url(end=START)).status_code == 422
