import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from nervecare.clients.models import Consent
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.models import AuditEvent, User
from nervecare.portal.models import ClientAccount, DiaryEntry
from nervecare.portal.selectors import diary_entries
from nervecare.portal.tests.conftest import appointment_in
from nervecare.screening.models import InstrumentResponse

pytestmark = pytest.mark.django_db


def test_staff_invite_then_client_sets_password_and_signs_in(therapist_user, clinic, client):
    person = ClientFactory(clinic=clinic, first_name="Eva", email="Eva@Example.org")
    staff = login(therapist_user)
    response = staff.post(f"/portal/staff/clients/{person.id}/invite/")
    assert response.status_code == 302
    account = ClientAccount.objects.get(client=person)
    assert account.user.role == User.Role.CLIENT and not account.user.has_usable_password()
    assert account.user.username == "eva@example.org" and account.invited_by == therapist_user
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Eva@Example.org"]
    link = re.search(r"http://testserver(/portal/welcome/\S+)", mail.outbox[0].body).group(1)
    assert AuditEvent.objects.filter(summary="Portal invitation sent", object_id=str(person.id)).exists()

    page = client.get(link, follow=True)  # Django swaps the token for a session key and redirects
    assert "Choose your password" in page.content.decode()
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a long walk on the beach", "new_password2": "a long walk on the beach"},
    )
    assert done.status_code == 302 and done["Location"] == "/portal/welcome/done/"
    assert client.login(username="eva@example.org", password="a long walk on the beach")
    assert client.get("/").url == "/portal/"
    assert "Before your first visit" in client.get("/portal/").content.decode()
    # The link works once.
    assert "This link has expired" in client.get(link, follow=True).content.decode()


def test_invite_needs_an_email_and_a_clinical_user(therapist_user, front_desk_user, clinic):
    person = ClientFactory(clinic=clinic, email="")
    response = login(therapist_user).post(f"/portal/staff/clients/{person.id}/invite/", follow=True)
    assert "email" in response.content.decode() and not ClientAccount.objects.exists()
    person.email = "p@example.org"
    person.save()
    assert login(front_desk_user).post(f"/portal/staff/clients/{person.id}/invite/").status_code == 403


def test_client_user_gets_403_on_staff_pages_and_staff_get_403_on_the_portal(carla, therapist_user):
    user, client = carla
    http = login(user)
    for url in (
        "/clients/",
        f"/clients/{client.id}/",
        "/clients/new/",
        "/review/",
        "/instruments/",
        "/calendar/",
    ):
        assert http.get(url).status_code == 403, url
    assert http.get("/").url == "/portal/"
    assert login(therapist_user).get("/portal/").status_code == 403


def test_another_clients_ids_give_404(carla, dan, therapist_user):
    user, _client = carla
    _dan_user, dan_client = dan
    theirs = appointment_in(dan_client, therapist_user.therapist, hours=72)
    http = login(user)
    assert http.post(f"/portal/appointments/{theirs.id}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "booked"
    assert http.get("/portal/questionnaires/dn4/").status_code == 404  # a therapist's examination
    assert f"{dan_client.first_name}" not in http.get("/portal/appointments/").content.decode()


def test_consent_read_and_signed(carla):
    user, client = carla
    http = login(user)
    assert "I consent to massage therapy" in http.get("/portal/consent/").content.decode()
    assert http.post("/portal/consent/", {}).status_code == 422
    assert http.post("/portal/consent/", {"agree": "yes"}).status_code == 302
    consent = Consent.objects.get(client=client)
    assert consent.method == "electronic" and consent.recorded_by == user
    assert AuditEvent.objects.filter(actor=user, object_type="clients.consent").exists()
    assert "You have signed" in http.get("/portal/consent/").content.decode()


def test_questionnaire_scored_stored_and_safety_checked(carla):
    user, client = carla
    http = login(user)
    assert http.post("/portal/questionnaires/nrs_pain/", {"item_pain": "11"}).status_code == 422
    assert not InstrumentResponse.objects.exists()
    assert http.post("/portal/questionnaires/nrs_pain/", {"item_pain": "6"}).status_code == 302
    response = InstrumentResponse.objects.get(client=client)
    assert response.total == 6 and response.recorded_by == user and response.context == "intake"
    home = http.get("/portal/").content.decode()
    assert "Your pain today" in home
    assert http.get("/portal/questionnaires/pgic/").status_code == 404  # only after a first session


def test_diary_one_entry_per_day_and_no_future(carla):
    user, client = carla
    http = login(user)
    today = timezone.localdate()
    data = {
        "day": today.isoformat(),
        "pain": "5",
        "numbness": "6",
        "tingling": "4",
        "sleep": "3",
        "note": "ok",
    }
    assert http.post("/portal/diary/", data).status_code == 302
    assert http.post("/portal/diary/", {**data, "pain": "3"}).status_code == 302
    assert DiaryEntry.objects.get(client=client).pain == 3
    future = {**data, "day": (today + datetime.timedelta(days=1)).isoformat()}
    assert http.post("/portal/diary/", future).status_code == 422
    assert http.post("/portal/diary/", {**data, "pain": "12"}).status_code == 422
    assert [e.pain for e in diary_entries(client)] == [3]


def test_progress_chart_in_plain_language(carla):
    user, client = carla
    today = timezone.localdate()
    for days_ago, pain in ((10, 7), (5, 5), (0, 4)):
        DiaryEntry.objects.create(
            client=client,
            day=today - datetime.timedelta(days=days_ago),
            pain=pain,
            numbness=5,
            tingling=5,
            sleep=2,
        )
    page = login(user).get("/portal/progress/").content.decode()
    assert "<svg" in page and "polyline" in page
    assert "Your pain has come down: 7" in page and "Your numbness is about the same" in page


def test_cancel_within_policy(carla, therapist_user, settings):
    user, client = carla
    far = appointment_in(client, therapist_user.therapist, hours=48)
    near = appointment_in(client, therapist_user.therapist, hours=5)
    http = login(user)
    page = http.get("/portal/appointments/").content.decode()
    assert "24 hours" in page
    http.post(f"/portal/appointments/{near.id}/cancel/")
    near.refresh_from_db()
    assert near.status == "booked"
    http.post(f"/portal/appointments/{far.id}/cancel/")
    far.refresh_from_db()
    assert (
        far.status == "cancelled"
        and far.cancel_reason == "cancelled by the client"
        and far.cancelled_by == user
    )
    client.clinic.cancellation_notice_hours = 2
    client.clinic.save()
    http.post(f"/portal/appointments/{near.id}/cancel/")
    near.refresh_from_db()
    assert near.status == "cancelled"


def test_calendar_download_is_the_clients_own(carla, dan, therapist_user):
    user, client = carla
    appointment_in(client, therapist_user.therapist, hours=30)
    appointment_in(dan[1], therapist_user.therapist, hours=50)
    response = login(user).get("/portal/appointments.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert response.content.count(b"BEGIN:VEVENT") == 1


def test_portal_needs_sign_in(client):
    response = client.get("/portal/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_set_password_link_is_for_clients_only(therapist_user, client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(therapist_user.pk))
    token = default_token_generator.make_token(therapist_user)
    page = client.get(f"/portal/welcome/{uid}/{token}/", follow=True)
    assert "This link has expired" in page.content.decode()


@pytest.mark.parametrize(
    "page, view",
    [
        ("/portal/", "home"),
        ("/portal/diary/", "diary"),
        ("/portal/progress/", "progress"),
        ("/portal/appointments/", "appointments"),
        ("/portal/appointments.ics", "calendar_download"),
        ("/portal/about-you/", "intake"),
    ],
)
def test_each_portal_page_a_client_sees_is_a_read_in_the_audit_trail(carla, dan, page, view):
    user, client = carla
    response = login(user).get(page)
    assert response.status_code == 200
    event = AuditEvent.objects.get(actor=user, action="view", client_id=client.pk)
    assert event.summary == f"Own record in the portal: {view}"
    assert event.object_id == str(client.pk) and event.ip_address == "127.0.0.1"
    # Not the client's username (their email): the trail outlives their erasure.
    assert event.actor_username == f"portal-user-{user.pk}" != user.get_username()
    assert not AuditEvent.objects.filter(client_id=dan[1].pk).exists()


def test_the_report_download_keeps_its_own_single_event(carla):
    user, client = carla
    response = login(user).get("/portal/progress/report.pdf")
    assert response.status_code == 200
    summaries = list(AuditEvent.objects.filter(actor=user, action="view").values_list("summary", flat=True))
    assert summaries == ["Own progress report downloaded"]


def test_the_audit_trail_keeps_no_contact_details_of_a_portal_client(clinic):
    """Portal sign-ins are usually the client's email address; the trail, which outlives the client's
    erasure and cannot be changed, names the account by id instead."""
    from nervecare.portal.tests.conftest import portal_user

    user, client = portal_user(clinic, "Erin", "erin@example.org")
    assert login(user).get("/portal/").status_code == 200
    events = AuditEvent.objects.filter(client_id=client.pk)
    assert events.exists()
    assert not events.filter(actor_username__icontains="erin").exists()
    assert not AuditEvent.objects.filter(summary__icontains="example.org").exists()


def test_a_double_submitted_questionnaire_is_stored_once(carla):
    """The portal's forms carry the one-time key (issue 22): a double tap on "Send" stores one response and
    the second tap gets the first answer; the same form sent again with other answers is a new response."""
    from nervecare.core.idempotency import FORM_FIELD, REPLAYED_HEADER

    user, client = carla
    http = login(user)
    page = http.get("/portal/questionnaires/nrs_pain/").content.decode()
    key = re.search(rf'name="{FORM_FIELD}" value="([0-9a-f]{{32}})"', page).group(1)
    first = http.post("/portal/questionnaires/nrs_pain/", {"item_pain": "6", FORM_FIELD: key})
    again = http.post("/portal/questionnaires/nrs_pain/", {"item_pain": "6", FORM_FIELD: key})
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] and again[REPLAYED_HEADER] == "true"
    assert InstrumentResponse.objects.filter(client=client).count() == 1
    changed = http.post("/portal/questionnaires/nrs_pain/", {"item_pain": "4", FORM_FIELD: key})
    assert changed.status_code == 302 and InstrumentResponse.objects.filter(client=client).count() == 2
