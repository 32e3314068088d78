"""The therapist's list between sessions (issue 18 point 6): red-flag foot reports first, clients who stopped
logging (foot checks, home-programme check-offs), adherence at a glance; only the therapist's own clients;
a link in the staff navigation; a bounded number of queries."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.footcheck import services as footcheck
from nervecare.footcheck.tests.factories import lops_client, portal_user_for
from nervecare.selfcare import services as selfcare
from nervecare.selfcare.services import ItemChoice
from nervecare.web.between import between_sessions_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clinic, therapist_user, junior_therapist_user):
    ada = lops_client(clinic=clinic, actor=therapist_user, first_name="Ada", last_name="Quill")
    bo = lops_client(clinic=clinic, actor=therapist_user, first_name="Bo", last_name="Silent")
    cy = lops_client(clinic=clinic, actor=therapist_user, first_name="Cy", last_name="Fine")
    bea = lops_client(
        clinic=clinic,
        actor=junior_therapist_user,
        first_name="Bea",
        last_name="Other",
        primary_therapist=junior_therapist_user.therapist,
    )
    ada_user = portal_user_for(ada, "ada")
    today = timezone.localdate()
    footcheck.foot_check_submit(
        actor=ada_user, client=ada, findings={"blister": True}, foot="left", regions=["sole"]
    )
    footcheck.foot_check_submit(actor=portal_user_for(cy, "cy"), client=cy, findings={})
    footcheck.foot_check_submit(
        actor=portal_user_for(bea, "bea"),
        client=bea,
        findings={"new_cut": True},
        foot="right",
        regions=["toes"],
    )
    # Bo has a home programme and has ticked nothing for a week; his foot checks stopped too.
    selfcare.programme_assign(
        actor=therapist_user,
        client=bo,
        items=[ItemChoice("ankle_circles")],
        starts_on=today - datetime.timedelta(days=7),
        reason="Gentle range of motion",
    )
    return {"ada": ada, "bo": bo, "cy": cy, "bea": bea}


def test_the_list_shows_red_flags_first_then_who_stopped_logging(world, therapist_user):
    later = timezone.now() + datetime.timedelta(days=4)
    with time_machine.travel(later, tick=False):
        rows = between_sessions_list(therapist_user)
    names = [r.client.first_name for r in rows]
    assert names[0] == "Ada" and rows[0].red_flag
    assert "Bo" in names
    bo = rows[names.index("Bo")]
    assert bo.foot_stopped and bo.check_offs_stopped and bo.adherence is not None
    assert bo.adherence.percent == 0
    assert "Bea" not in names  # Bob's client: never on Alice's list
    # Cy checked four days ago: 4 >= 3 days, so Cy stopped too; everyone=True lists the same clients here
    assert "Cy" in names
    with time_machine.travel(later, tick=False):
        everyone = between_sessions_list(therapist_user, everyone=True)
    assert {r.client.first_name for r in everyone} == {"Ada", "Bo", "Cy"}


def test_a_fresh_check_and_no_red_flag_keeps_a_client_off_the_list(world, therapist_user):
    names = [r.client.first_name for r in between_sessions_list(therapist_user)]
    assert "Cy" not in names and "Ada" in names


def test_the_page_the_nav_link_and_who_may_see_it(
    world, therapist_user, junior_therapist_user, front_desk_user
):
    http = login(therapist_user)
    assert "/between-sessions/" in http.get("/clients/").content.decode()
    page = http.get("/between-sessions/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Ada Quill" in text and "Red flag" in text and "Bea Other" not in text
    assert AuditEvent.objects.filter(
        summary__startswith="Between-sessions list viewed", actor=therapist_user
    ).exists()
    bob = login(junior_therapist_user).get("/between-sessions/").content.decode()
    assert "Bea Other" in bob and "Ada Quill" not in bob
    desk = login(front_desk_user).get("/between-sessions/")
    assert desk.status_code in (302, 403)
    assert "/between-sessions/" not in login(front_desk_user).get("/day/").content.decode()
    partial = http.get("/between-sessions/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="between-rows"') and "<html" not in partial


def test_the_list_reads_a_bounded_number_of_queries(
    world, therapist_user, clinic, django_assert_max_num_queries
):
    for i in range(5):
        lops_client(clinic=clinic, actor=therapist_user, first_name=f"More{i}", last_name="Client")
    with django_assert_max_num_queries(12):
        rows = between_sessions_list(therapist_user, everyone=True)
    assert len(rows) == 8


def test_the_api_gives_the_same_rows(world, therapist_user):
    later = timezone.now() + datetime.timedelta(days=4)
    with time_machine.travel(later, tick=False):
        r = login(therapist_user).get("/api/v1/between-sessions")
    assert r.status_code == 200, r.content
    rows = {row["name"]: row for row in r.json()}
    assert rows["Ada Quill"]["foot_check"]["red_flag_reports"]
    bo = rows["Bo Silent"]
    assert bo["check_offs"]["stopped"] and bo["check_offs"]["adherence_percent"] == 0
    assert bo["foot_check"]["stopped"]
    assert "Bea Other" not in rows
