"""Submitting a daily foot check: eligibility from the record, the matching stop flag raised at once (and kept
through re-runs of the safety check, check-in's included, until the therapist's review), the therapist's
e-mail without clinical detail, the client's plain words, and bad input refused by field with nothing written."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from nervecare.clients.tests.factories import ClientFactory
from nervecare.core.errors import FieldErrors
from nervecare.core.models import AuditEvent
from nervecare.footcheck import selectors, services
from nervecare.footcheck.models import FootCheck, FootCheckPhoto
from nervecare.footcheck.tests.factories import JPEG_HEADER, PNG, diabetic_client, portal_user_for
from nervecare.scheduling.models import Appointment
from nervecare.scheduling.services import SessionBlockedError, appointment_check_in
from nervecare.scheduling.tests.factories import AppointmentFactory
from nervecare.screening.models import SafetyFlag
from nervecare.screening.services import safety_check_run

pytestmark = pytest.mark.django_db

BLISTER = {"findings": {"blister": True}, "foot": "left", "regions": ["sole"]}


def _open(client, rule_id):
    return SafetyFlag.objects.filter(client=client, rule_id=rule_id, status="open").first()


def test_loss_of_protective_sensation_or_diabetes_makes_a_client_eligible(ada, clinic, therapist_user):
    assert selectors.foot_check_eligible(ada)
    assert selectors.foot_check_eligible(diabetic_client(clinic=clinic, actor=therapist_user))
    plain = ClientFactory(clinic=clinic)
    safety_check_run(actor=therapist_user, client=plain)
    assert not selectors.foot_check_eligible(plain)
    user = portal_user_for(plain, "pia")
    with pytest.raises(FieldErrors) as exc:
        services.foot_check_submit(actor=user, client=plain, findings={})
    assert "loss of protective sensation or diabetes" in exc.value.errors["client"]
    assert not FootCheck.objects.exists()


def test_a_clear_check_is_stored_and_thanked(ada, ada_user):
    result = services.foot_check_submit(actor=ada_user, client=ada, findings={})
    assert result.check.needs_attention is False and result.check.red_flag is False
    assert result.flags == [] and result.alerted == 0
    assert "Nothing new today" in result.advice[0]
    assert AuditEvent.objects.filter(object_type="footcheck.footcheck", action="create").count() == 1


def test_a_new_blister_raises_the_wound_stop_at_once_for_that_foot(
    ada, ada_user, therapist_user, django_capture_on_commit_callbacks
):
    therapist_user.email = "alice@example.org"
    therapist_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.foot_check_submit(actor=ada_user, client=ada, **BLISTER)
    flag = _open(ada, "foot_ulcer_wound_infection")
    assert flag is not None and flag.level == "stop"
    assert result.flags == [flag]
    assert flag.area == "left foot: sole of foot"
    assert "daily foot check of" in flag.reason and "a blister" in flag.reason
    assert "NHS foot-health pathway" in flag.source
    # the client's words: contact their doctor or foot service today
    assert "contact your doctor or your foot service today" in result.advice[0]
    assert "next massage will wait" in result.advice[1]
    # the therapist: one e-mail with a link to the record, no clinical detail, no name
    assert result.alerted == 1
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert f"/clients/{ada.pk}/" in message.body
    for detail in ("blister", "sole", "left", "Ada", "Quill", "wound"):
        assert detail.lower() not in (message.subject + message.body).lower(), detail


def test_the_stop_survives_every_rerun_and_closes_after_the_review(ada, ada_user, therapist_user):
    result = services.foot_check_submit(actor=ada_user, client=ada, **BLISTER)
    safety_check_run(actor=therapist_user, client=ada)
    assert _open(ada, "foot_ulcer_wound_infection") is not None
    # a later clear check does not heal the blister
    services.foot_check_submit(actor=ada_user, client=ada, findings={})
    safety_check_run(actor=therapist_user, client=ada)
    assert _open(ada, "foot_ulcer_wound_infection") is not None
    with pytest.raises(FieldErrors) as exc:
        services.foot_check_review(actor=therapist_user, check=result.check, note=" ")
    assert "review_note" in exc.value.errors
    services.foot_check_review(
        actor=therapist_user, check=result.check, note="Seen by the foot team: healing"
    )
    assert _open(ada, "foot_ulcer_wound_infection") is None
    closed = SafetyFlag.objects.get(client=ada, rule_id="foot_ulcer_wound_infection")
    assert closed.resolution == "no_longer_applies"
    with pytest.raises(FieldErrors) as again:
        services.foot_check_review(actor=therapist_user, check=result.check, note="twice")
    assert "already been reviewed" in again.value.errors["foot_check_id"]


def test_a_warm_swollen_right_foot_raises_suspected_charcot_for_the_right_foot(ada, ada_user):
    result = services.foot_check_submit(
        actor=ada_user,
        client=ada,
        findings={"warmth": True, "swelling": True},
        foot="right",
        regions=["foot_dorsum", "ankle"],
    )
    flag = _open(ada, "suspected_charcot")
    assert result.flags == [flag]
    assert flag.area == "right foot"
    assert "Record which foot" not in flag.reason
    assert "warmth" in flag.reason and "swelling" in flag.reason
    assert _open(ada, "foot_ulcer_wound_infection") is None


def test_redness_alone_asks_for_a_call_today_without_a_stop(ada, ada_user):
    result = services.foot_check_submit(
        actor=ada_user, client=ada, findings={"redness": True}, foot="both", regions=["toes"]
    )
    assert result.check.needs_attention and not result.check.red_flag
    assert result.flags == [] and "foot service today" in result.advice[0]
    assert not SafetyFlag.objects.filter(client=ada, level="stop", status="open").exists()


def test_the_stop_blocks_the_next_appointments_check_in(ada, ada_user, therapist_user, front_desk_user):
    appointment = AppointmentFactory(client=ada, therapist=therapist_user.therapist)
    services.foot_check_submit(actor=ada_user, client=ada, **BLISTER)
    with pytest.raises(SessionBlockedError) as exc:
        appointment_check_in(actor=front_desk_user, appointment=appointment)
    assert [f.rule_id for f in exc.value.flags] == ["foot_ulcer_wound_infection"]
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_the_therapist_may_record_a_check_told_by_phone_but_not_for_a_client_of_another(
    ada, ada_user, therapist_user, clinic
):
    result = services.foot_check_submit(actor=therapist_user, client=ada, findings={})
    assert result.check.submitted_by == therapist_user
    other = diabetic_client(clinic=clinic, actor=therapist_user)
    with pytest.raises(PermissionDenied):
        services.foot_check_submit(actor=ada_user, client=other, findings={})


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"findings": {"blister": True}, "regions": ["sole"]}, "foot", "which foot"),
        ({"findings": {"blister": True}, "foot": "middle", "regions": ["sole"]}, "foot", "left foot"),
        ({"findings": {"blister": True}, "foot": "left"}, "regions", "where on the foot"),
        (
            {"findings": {"blister": True}, "foot": "left", "regions": ["knee"]},
            "regions[0]",
            "part of the foot",
        ),
        ({"findings": {"blister": "maybe"}, "foot": "left", "regions": ["sole"]}, "blister", "yes or no"),
        ({"findings": {"limp": True}}, "findings.limp", "not a question"),
        ({"findings": {}, "foot": "left"}, "findings", "tick what you found"),
        ({"findings": {}, "note": "x" * 1001}, "note", "1000 characters"),
        ({"findings": {}, "photo": b""}, "photo", "empty"),
        ({"findings": {}, "photo": b"%PDF-1.4 not a photo"}, "photo", "its content was checked"),
        ({"findings": {}, "photo": b"just text named foot.jpg"}, "photo", "JPEG, PNG or WebP"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(ada, ada_user, kwargs, field, words):
    before = AuditEvent.objects.count()
    with pytest.raises(FieldErrors) as exc:
        services.foot_check_submit(actor=ada_user, client=ada, **kwargs)
    assert words in exc.value.errors[field], exc.value.errors
    assert not FootCheck.objects.exists() and not FootCheckPhoto.objects.exists()
    assert AuditEvent.objects.count() == before
    assert _open(ada, "foot_ulcer_wound_infection") is None


def test_a_photo_too_big_is_refused(ada, ada_user, settings):
    settings.NERVECARE_FOOTCHECK_PHOTO_MAX_BYTES = 1024 * 1024
    with pytest.raises(FieldErrors) as exc:
        services.foot_check_submit(actor=ada_user, client=ada, findings={}, photo=PNG + b"\0" * (1024 * 1024))
    assert "larger than 1 MB" in exc.value.errors["photo"]


def test_a_photo_is_kept_by_its_content_type_in_the_database(ada, ada_user):
    result = services.foot_check_submit(actor=ada_user, client=ada, findings={}, photo=PNG)
    photo = FootCheckPhoto.objects.get(foot_check=result.check)
    assert photo.content_type == "image/png" and bytes(photo.data) == PNG and photo.size == len(PNG)
    jpeg = services.foot_check_submit(actor=ada_user, client=ada, findings={}, photo=JPEG_HEADER + b"\0" * 64)
    assert FootCheckPhoto.objects.get(foot_check=jpeg.check).content_type == "image/jpeg"
    assert AuditEvent.objects.filter(object_type="footcheck.footcheckphoto", action="create").count() == 2
