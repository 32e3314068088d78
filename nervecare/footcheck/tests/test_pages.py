"""The foot check's pages: the client's form and plain-words answer in the portal, the staff report page with
the review, the photo (the client's own, and for staff who see the record), each shown page audited."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from nervecare.conftest import login
from nervecare.core.models import AuditEvent
from nervecare.footcheck import services
from nervecare.footcheck.models import FootCheck
from nervecare.footcheck.tests.factories import PNG, diabetic_client, portal_user_for
from nervecare.screening.models import SafetyFlag

pytestmark = pytest.mark.django_db


def test_the_portal_home_offers_the_check_to_a_client_who_does_it(ada_user):
    page = login(ada_user).get("/portal/").content.decode()
    assert "Daily foot check" in page and "/portal/foot-check/" in page


def test_a_new_blister_reported_in_the_portal_gives_plain_words_and_raises_the_stop(ada, ada_user):
    http = login(ada_user)
    assert http.get("/portal/foot-check/").status_code == 200
    r = http.post("/portal/foot-check/", {"blister": "on", "foot": "left", "regions": ["sole", "heel"]})
    assert r.status_code == 302
    check = FootCheck.objects.get(client=ada)
    assert r["Location"] == f"/portal/foot-check/{check.pk}/"
    page = http.get(r["Location"]).content.decode()
    assert "contact your doctor or your foot service today" in page
    assert SafetyFlag.objects.filter(client=ada, rule_id="foot_ulcer_wound_infection", status="open").exists()
    assert AuditEvent.objects.filter(summary="Own record in the portal: foot_check_result").exists()


def test_nothing_new_is_thanked(ada, ada_user):
    http = login(ada_user)
    r = http.post("/portal/foot-check/", {})
    page = http.get(r["Location"]).content.decode()
    assert "Nothing new today" in page


def test_bad_input_in_the_portal_names_the_field_and_sends_nothing(ada, ada_user):
    http = login(ada_user)
    r = http.post("/portal/foot-check/", {"blister": "on", "regions": ["sole"]})
    assert r.status_code == 422
    assert "say which foot" in r.content.decode()
    fake = SimpleUploadedFile("foot.jpg", b"not an image at all", content_type="image/jpeg")
    r = http.post("/portal/foot-check/", {"photo": fake})
    assert r.status_code == 422 and "its content was checked" in r.content.decode()
    assert not FootCheck.objects.exists()


def test_a_photo_is_sent_and_only_its_owner_and_their_therapist_see_it(
    ada, ada_user, therapist_user, junior_therapist_user, clinic
):
    http = login(ada_user)
    upload = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    r = http.post(
        "/portal/foot-check/", {"redness": "on", "foot": "right", "regions": ["toes"], "photo": upload}
    )
    check = FootCheck.objects.get(client=ada)
    own = http.get(f"/portal/foot-check/{check.pk}/photo/")
    assert r.status_code == 302 and own.status_code == 200 and own.content == PNG
    assert own["Content-Type"] == "image/png" and own["X-Content-Type-Options"] == "nosniff"
    staff = login(therapist_user).get(f"/clients/{ada.pk}/foot-checks/{check.pk}/photo/")
    assert staff.status_code == 200 and staff.content == PNG
    assert AuditEvent.objects.filter(summary="Foot-check photo opened", actor=therapist_user).exists()
    assert (
        login(junior_therapist_user).get(f"/clients/{ada.pk}/foot-checks/{check.pk}/photo/").status_code
        == 404
    )
    other = diabetic_client(clinic=clinic, actor=therapist_user)
    bea = portal_user_for(other, "bea")
    assert login(bea).get(f"/portal/foot-check/{check.pk}/photo/").status_code == 404
    assert login(bea).get(f"/portal/foot-check/{check.pk}/").status_code == 404


def test_the_therapist_reviews_a_report_and_the_stop_closes(ada, ada_user, therapist_user):
    result = services.foot_check_submit(
        actor=ada_user, client=ada, findings={"new_cut": True}, foot="right", regions=["toes"]
    )
    http = login(therapist_user)
    url = f"/clients/{ada.pk}/foot-checks/{result.check.pk}/"
    page = http.get(url).content.decode()
    assert "a new cut, graze or sore" in page and "Foot ulcer, wound or infection" in page
    assert AuditEvent.objects.filter(summary="Foot check opened", actor=therapist_user).exists()
    chart = http.get(f"/clients/{ada.pk}/").content.decode()
    assert "Daily foot checks" in chart and "red flag, not reviewed" in chart
    bad = http.post(url, {"review_note": ""})
    assert bad.status_code == 422 and "This field is required" in bad.content.decode()
    r = http.post(url, {"review_note": "Seen by the foot team today: a graze, dressed"})
    assert r.status_code == 302
    assert not SafetyFlag.objects.filter(
        client=ada, rule_id="foot_ulcer_wound_infection", status="open"
    ).exists()
    assert "Seen by the foot team" in http.get(url).content.decode()


def test_the_front_desk_and_another_therapist_never_see_a_report(
    ada, ada_user, front_desk_user, junior_therapist_user
):
    result = services.foot_check_submit(actor=ada_user, client=ada, findings={})
    url = f"/clients/{ada.pk}/foot-checks/{result.check.pk}/"
    assert login(junior_therapist_user).get(url).status_code == 404
    assert login(front_desk_user).get(url).status_code in (302, 403)
