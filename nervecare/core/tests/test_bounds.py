"""core.bounds (issue 14, finding 4): every date NerveCare accepts lies in a documented range, refused outside
it with a 422 naming the field or a form error; non-finite JSON numbers are refused the same way."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from nervecare.clients.models import Client
from nervecare.conftest import login
from nervecare.core import bounds
from nervecare.core.models import ApiToken

NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
TYPES = {
    bounds.BIRTH: (bounds.BirthDate, None),
    bounds.HISTORY: (bounds.HistoryDate, bounds.HistoryDateTime),
    bounds.SCHEDULE: (bounds.ScheduleDate, bounds.ScheduleDateTime),
    bounds.SEARCH: (None, bounds.SearchDateTime),
    bounds.AUDIT: (bounds.AuditDate, None),
}
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)


def test_the_documented_ranges():
    with time_machine.travel(NOW, tick=False):
        assert bounds.BIRTH.limits() == (dt.date(1900, 1, 1), dt.date(2027, 3, 2))  # today somewhere (UTC+14)
        assert bounds.SCHEDULE.limits() == (dt.date(2025, 3, 1), dt.date(2032, 3, 2))
        assert bounds.AUDIT.limits() == (dt.date(2000, 1, 1), dt.date(2027, 3, 3))
    assert bounds.add_years(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.dates(), offset=OFFSETS, index=st.integers(min_value=0, max_value=len(TYPES) - 1))
def test_a_bounded_type_accepts_exactly_its_range_and_what_it_accepts_is_safe_to_compute_with(
    day, offset, index
):
    bound = list(TYPES)[index]
    date_type, datetime_type = TYPES[bound]
    earliest, latest = bound.limits()
    inside = earliest <= day <= latest
    if date_type is not None:
        try:
            TypeAdapter(date_type).validate_python(day.isoformat())
        except ValidationError as exc:
            assert not inside
            assert "must be between" in str(exc) or (bound.too_late and day > latest)
        else:
            assert inside
    if datetime_type is None:
        return
    text = dt.datetime.combine(day, dt.time(23, 59), tzinfo=offset).isoformat()
    try:
        value = TypeAdapter(datetime_type).validate_python(text)
    except ValidationError:
        assert not inside
    else:
        assert inside
        # What scheduling does with an accepted value: to UTC, plus a long session, a buffer, two years of
        # a weekly series; none of it may overflow.
        value.astimezone(dt.UTC) + dt.timedelta(days=2 * 366)
        value.astimezone(dt.UTC) - dt.timedelta(days=2 * 366)


@pytest.mark.parametrize("value", [0, 1_700_000_000, 3.5, True])
def test_a_bare_number_is_not_a_date(value):
    with pytest.raises(ValidationError):
        TypeAdapter(bounds.ScheduleDateTime).validate_python(value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"date_from": "1999-12-31"}]
)
def test_audit_search_out_of_range_is_a_422_and_a_form_error(admin_user, query):
    http = login(admin_user)
    field = next(iter(query))
    r = http.get("/api/v1/audit", query)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {field}
    page = http.get(reverse("audit:events"), query)
    assert page.status_code == 422 and field in page.context["form"].errors
    assert http.get("/api/v1/audit", {"date_from": "2026-01-01"}).status_code == 200
    assert http.get(reverse("audit:events"), {"date_from": "2026-01-01"}).status_code == 200


INTAKE = {
    "client": {"first_name": "Ann", "last_name": "Range", "date_of_birth": "1950-01-01"},
    "conditions": [{"type": "peripheral", "cause": "unknown"}],
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client": INTAKE["client"] | {"date_of_birth": "9999-12-31"}}, "client.date_of_birth"),
        ({"client": INTAKE["client"] | {"date_of_birth": "0001-01-01"}}, "client.date_of_birth"),
        (
            {"conditions": [{"type": "peripheral", "cause": "unknown", "onset_date": "9999-01-01"}]},
            "conditions[0].onset_date",
        ),
        ({"medical": {"labs_date": "0001-01-01"}}, "medical.labs_date"),
        ({"medical": {"hba1c_percent": float("inf")}}, "medical.hba1c_percent"),
        (
            {"conditions": [{"type": "peripheral", "cause": "unknown", "pain": float("nan")}]},
            "conditions[0].pain",
        ),
    ],
)
def test_intake_dates_and_numbers_out_of_range_are_422_naming_the_field(api, change, field):
    body = json.dumps(INTAKE | change).replace("Infinity", "1e999")
    r = api.post("/api/v1/clients", body, content_type="application/json")
    assert r.status_code == 422, r.content
    assert field in {e["field"] for e in r.json()["errors"]}
    assert not Client.objects.exists()
    assert api.post("/api/v1/clients", INTAKE, content_type="application/json").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("days", ["0", "4000", str(10**9)])
def test_token_expiry_days_out_of_range_is_a_message_and_no_token(therapist_user, days):
    with pytest.raises(CommandError, match="--expires-days"):
        call_command(
            "token", "create", therapist_user.username, "--scope", "clients:read", "--expires-days", days
        )
    assert not ApiToken.objects.exists()
