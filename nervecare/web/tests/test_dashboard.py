import datetime

import pytest
from django.db import connection
from django.utils import timezone

from nervecare.clients.tests.factories import ClientFactory, ConditionFactory, MedicalContextFactory
from nervecare.conftest import login
from nervecare.core.tests.factories import UserFactory
from nervecare.plans.tests.factories import CarePlanFactory
from nervecare.portal.tests.conftest import portal_user
from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.screening.services import safety_check_run
from nervecare.visits.tests.factories import SessionNoteFactory
from nervecare.web import bodymap_svg

pytestmark = pytest.mark.django_db

# Exact counts of the list pages, whatever the number of rows. Both end with the read event: SQLite seals
# it inline (the chain's head, then the insert); PostgreSQL inserts it pending (deferred sealing, core/audit.py).
CLIENT_LIST_QUERIES = {"sqlite": 8, "postgresql": 7}
# Session, user, two-step device, clinic, today's sessions, their flags, amendments, soreness, adverse events,
# notes to sign (appointments, notes), sessions without a note, and the read event.
DASHBOARD_QUERIES = {"sqlite": 14, "postgresql": 13}


def test_dashboard_shows_todays_sessions_flags_and_unsigned_notes(therapist_user, clinic):
    rosa = ClientFactory(clinic=clinic, first_name="Rosa", last_name="Diaz")
    MedicalContextFactory(client=rosa, on_anticoagulants=True)
    safety_check_run(actor=therapist_user, client=rosa)
    now = timezone.now().replace(second=0, microsecond=0)
    AppointmentFactory(
        client=rosa, therapist=therapist_user.therapist, starts_at=max(now, now.replace(hour=0))
    )
    ben = ClientFactory(clinic=clinic, first_name="Ben", last_name="Ode")
    AppointmentFactory(
        client=ben,
        therapist=therapist_user.therapist,
        starts_at=now - datetime.timedelta(days=2),
        status="completed",
    )
    page = login(therapist_user).get("/")
    html = page.content.decode()
    assert page.status_code == 200 and "Rosa Diaz" in html and "badge-modify" in html
    assert "Ben Ode" in html and "no note yet" in html


def test_dashboard_routes_each_role(front_desk_user, clinic):
    assert login(front_desk_user).get("/").url == "/day/"
    user, _client = portal_user(clinic, "Pia", "pia")
    assert login(user).get("/").url == "/portal/"


def test_client_list_filters_and_htmx_partial(therapist_user, junior_therapist_user, clinic):
    alice, bob = therapist_user.therapist, junior_therapist_user.therapist
    agnes = ClientFactory(clinic=clinic, first_name="Agnes", last_name="Ward", primary_therapist=alice)
    ConditionFactory(client=agnes, type="peripheral", cause="chemotherapy", chemotherapy_agent="oxaliplatin")
    boris = ClientFactory(clinic=clinic, first_name="Boris", last_name="Stone", primary_therapist=bob)
    ConditionFactory(client=boris, type="peripheral", cause="diabetes_t2")
    CarePlanFactory(client=boris, status="active", therapist=bob)
    # An admin sees the whole clinic and can filter by therapist (Alice sees only her own clients).
    http = login(UserFactory(username="oona", clinic=clinic, role="admin"))
    assert "Boris" not in login(therapist_user).get("/clients/").content.decode()

    def rows(query: str) -> str:
        return http.get(f"/clients/?{query}", HTTP_HX_REQUEST="true").content.decode()

    assert "Agnes" in rows("cause=chemotherapy") and "Boris" not in rows("cause=chemotherapy")
    assert "Boris" in rows(f"therapist={bob.id}") and "Agnes" not in rows(f"therapist={bob.id}")
    assert "Boris" in rows("plan_status=active") and "Agnes" not in rows("plan_status=active")
    assert "Agnes" in rows("plan_status=none") and "Boris" not in rows("plan_status=none")
    assert "<html" not in rows("q=agn")
    full = http.get("/clients/?type=peripheral").content.decode()
    assert "<html" in full and 'hx-get="/clients/"' in full
    assert http.get("/clients/?therapist=notanumber").status_code == 200  # a bad filter is ignored


def test_client_list_query_count_is_fixed(therapist_user, clinic, django_assert_num_queries):
    for n in range(15):
        ConditionFactory(client=ClientFactory(clinic=clinic, first_name=f"P{n}"))
    http = login(therapist_user)
    # Session, user, two-step device (django-otp), therapist, the page of clients, their conditions, and the
    # read event: SQLite seals inline (the chain's head, the insert); PostgreSQL inserts it pending (deferred
    # sealing, core/audit/chain.py), one query fewer.
    with django_assert_num_queries(CLIENT_LIST_QUERIES[connection.vendor]):
        assert http.get("/clients/", HTTP_HX_REQUEST="true").status_code == 200


def test_chart_shows_this_visits_map_beside_the_first(therapist_user, clinic):
    from nervecare.clients import services

    client = ClientFactory(clinic=clinic)
    for intensity in (7, 4):
        services.body_map_record(
            actor=therapist_user,
            client=client,
            marks=[{"region": "toes", "side": "left", "sensation": "numbness", "intensity": intensity}],
            context="visit",
        )
    html = login(therapist_user).get(f"/clients/{client.id}/").content.decode()
    assert "First map" in html and "Latest map" in html
    assert html.count('class="region marked i7"') == 1 and html.count('class="region marked i4"') == 1
    assert "Numbness 7/10" in html and "Numbness 4/10" in html


def test_every_drawn_region_is_in_the_vocabulary():
    from nervecare.clients import bodymap

    codes = {s["region"] for s in bodymap_svg.shapes()}
    assert codes <= set(bodymap.regions())
    assert {"toes", "sole", "fingers", "lower_back"} <= codes
    assert all(s["side"] in ("left", "right", "midline") for s in bodymap_svg.shapes())


def test_intake_page_has_the_picture_and_warns_before_losing_input(therapist_user):
    html = login(therapist_user).get("/clients/new/").content.decode()
    assert 'data-region="toes"' in html and "data-warn-unsaved" in html and "js/nervecare.js" in html


def test_dashboard_query_count_does_not_grow_with_rows(therapist_user, clinic, django_assert_num_queries):
    """Sessions today (with flags), notes to sign, sessions without a note: a fixed number of queries, and
    only the fields the page shows (a deferred field read by the template would add a query per row)."""
    from django.test.utils import CaptureQueriesContext

    now = timezone.now().replace(second=0, microsecond=0)
    http = login(therapist_user)

    def add_clients(n: int, offset: int) -> None:
        for i in range(n):
            c = ClientFactory(clinic=clinic, first_name=f"C{offset + i}", last_name="Row")
            MedicalContextFactory(client=c, on_anticoagulants=True)
            safety_check_run(actor=therapist_user, client=c)
            AppointmentFactory(
                client=c,
                therapist=therapist_user.therapist,
                starts_at=max(now, now.replace(hour=0)) + datetime.timedelta(minutes=90 * (offset + i) % 600),
            )
            done = AppointmentFactory(
                client=c,
                therapist=therapist_user.therapist,
                starts_at=now - datetime.timedelta(days=2, minutes=90 * (offset + i)),
                status="completed",
            )
            if i % 2:
                SessionNoteFactory(appointment=done)

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            page = http.get("/")
        assert page.status_code == 200
        return len(ctx.captured_queries), page.content.decode()

    add_clients(2, 0)
    few, _html = queries()
    add_clients(4, 2)
    many, html = queries()
    assert "C5 Row" in html and "badge-modify" in html and "draft" in html and "no note yet" in html
    assert many == few
    with django_assert_num_queries(DASHBOARD_QUERIES[connection.vendor]):
        http.get("/")
