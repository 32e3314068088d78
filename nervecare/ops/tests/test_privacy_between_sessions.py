# ruff: noqa: F811 - the shared fixtures are imported from privacy_helpers and used as arguments
"""The right of access, erasure and the clinic-wide export reach what issues 17, 18 and 21 added: daily foot
checks with their photos, self-care programmes and check-offs, single-client trials, the portal intake, money
records; and a client's stored Idempotency-Key answers go with their erasure."""

import base64
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from nervecare.billing.services.giftcards import gift_card_sell
from nervecare.billing.tests.factories import settings_for
from nervecare.clients.models import Client
from nervecare.clients.tests.factories import ClientFactory
from nervecare.conftest import login
from nervecare.core.errors import FieldErrors
from nervecare.core.models import IdempotencyRecord, User
from nervecare.footcheck.services import foot_check_submit
from nervecare.footcheck.tests.factories import MNSI_LOPS, PNG
from nervecare.ops import export, privacy
from nervecare.ops.clinic_export import EXCLUDED, clinic_export_build, exported_models
from nervecare.ops.tests.privacy_helpers import admin_user, full_client, other_admin  # noqa: F401
from nervecare.screening.services import response_create
from nervecare.selfcare.tests.factories import CheckOffFactory, ProgrammeFactory, ProgrammeItemFactory
from nervecare.trials.models import TrialConsent, TrialEvent
from nervecare.trials.tests.factories import make_trial

pytestmark = pytest.mark.django_db

BLISTER = {"findings": {"blister": True}, "foot": "left", "regions": ["sole"], "note": "Under the big toe."}


@pytest.fixture
def rosa(clinic, therapist_user):
    """Rosa of the privacy tests, with loss of protective sensation, a foot check with a photo, a self-care
    programme with a check-off and a trial with its consent and an event."""
    client = full_client(clinic, therapist_user)
    response_create(actor=therapist_user, client=client, instrument="mnsi_history", answers=MNSI_LOPS)
    foot_check_submit(actor=therapist_user, client=client, photo=PNG, **BLISTER)
    programme = ProgrammeFactory(client=client, created_by=therapist_user)
    item = ProgrammeItemFactory(programme=programme, item_code="ankle_circles")
    CheckOffFactory(item=item, rating=7, note="Easier today")
    trial = make_trial(client, start=timezone.localdate() - dt.timedelta(days=30), by=therapist_user)
    TrialConsent.objects.create(
        trial=trial, text_version="1", text="I agree to the trial.", given_at=timezone.now(), method="written"
    )
    TrialEvent.objects.create(trial=trial, kind="consented", at=timezone.now(), by=therapist_user)
    return client


def test_the_export_holds_foot_checks_with_their_photo_self_care_and_trials(rosa):
    doc = export.client_export(rosa)
    (check,) = doc["foot_checks"]
    assert check["blister"] is True and check["note"] == "Under the big toe." and check["red_flag"] is True
    assert base64.b64decode(check["photo"]["content_base64"]) == PNG
    assert check["photo"]["content_type"] == "image/png"
    (programme,) = doc["selfcare_programmes"]
    assert programme["items"][0]["item_code"] == "ankle_circles"
    (done,) = doc["selfcare_check_offs"]
    assert done["item_code"] == "ankle_circles" and done["rating"] == 7 and done["note"] == "Easier today"
    (trial,) = doc["trials"]
    assert trial["comparison"] == "sessions_vs_pause"
    assert trial["consents"][0]["text"] == "I agree to the trial."
    assert trial["events"][0]["kind"] == "consented"
    json.dumps(doc)


def test_the_pdf_export_lists_the_new_sections(rosa, admin_user):
    response = login(admin_user).get(f"/api/v1/clients/{rosa.id}/export?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_the_therapists_export_holds_the_clinical_parts_not_the_money(rosa, therapist_user, clinic):
    settings_for(clinic)
    desk = User.objects.create(username="dora", clinic=clinic, role="front_desk")
    gift_card_sell(actor=desk, client=rosa, amount=Decimal("50.00"))
    staff_doc = export.client_export(rosa, staff=therapist_user)
    assert staff_doc["foot_checks"] and staff_doc["trials"] and staff_doc["selfcare_programmes"]
    assert "invoices" not in staff_doc and "gift_cards" not in staff_doc and "money" in staff_doc["omitted"]
    own = export.client_export(rosa)  # the client's own right of access: the money too
    (invoice,) = own["invoices"]
    assert invoice["total"] == "50.00" and invoice["lines"][0]["kind"] == "gift_card"
    (card,) = own["gift_cards"]
    assert "code" not in card and len(card["code_last4"]) == 4 and card["amount"] == "50.00"


def test_every_table_that_holds_a_clients_rows_is_in_the_export_or_named_as_left_out(rosa):
    """A new model with a client is exported (or deliberately left out here, with the reason)."""
    left_out = {
        "clients.clientaccessgrant": "who opened the record in an emergency is in the access log",
        "outcomes.clientoutcomesummary": "a cache of the outcome summary, which the export computes afresh",
        "footcheck.footcheckphoto": "held in its foot check's `photo`",
    }
    exported_tables = {
        "clients.consent": "consents",
        "clients.condition": "conditions",
        "clients.medicalcontext": "medical_context",
        "clients.bodymap": "body_maps",
        "clients.clientshare": "shares",
        "screening.instrumentresponse": "screenings",
        "screening.safetyflag": "safety_flags",
        "plans.careplan": "care_plans",
        "scheduling.series": "series",
        "scheduling.appointment": "appointments",
        "scheduling.waitlistentry": "waitlist",
        "visits.sessionnote": "session_notes",
        "visits.physicalmeasure": "physical_measures",
        "selfcare.programme": "selfcare_programmes",
        "selfcare.checkoff": "selfcare_check_offs",
        "selfcare.remindersetting": "selfcare_reminder",
        "outcomes.reevaluationdecision": "reevaluation_decisions",
        "footcheck.footcheck": "foot_checks",
        "trials.trial": "trials",
        "billing.invoice": "invoices",
        "billing.course": "courses",
        "billing.fee": "fees",
        "billing.payment": "payments",
        "billing.giftcard": "gift_cards",
        "billing.membership": "memberships",
        "interop.patientidentifier": "identifiers",
        "interop.contactchangeproposal": "contact_change_proposals",
        "portal.clientaccount": "portal_account",
        "portal.diaryentry": "diary_entries",
        "portal.clientintake": "portal_intakes",
        "booking.onlinebooking": "online_booking",
        "ops.pastvisit": "past_visits",
        "ops.clientdocument": "documents",
    }
    with_client = set()
    for model in apps.get_models():
        label = model._meta.label_lower
        if ".historical" in label:
            continue
        if any(getattr(f, "related_model", None) is Client for f in model._meta.concrete_fields):
            with_client.add(label)
    assert with_client - set(left_out) == set(exported_tables)
    doc = export.client_export(rosa)
    assert set(exported_tables.values()) <= set(doc)
    assert set(exported_tables.values()) <= set(export.SECTION_TITLES) | {"portal_account"}


def test_erasure_removes_foot_checks_photos_self_care_trials_and_the_clients_stored_answers(rosa, admin_user):
    portal_user = User.objects.get(username="rosa")
    IdempotencyRecord.objects.create(
        user=portal_user, key="k1", fingerprint="f", state="done", status=200, body=b'{"pain": 4}'
    )
    old_other = IdempotencyRecord.objects.create(
        user=admin_user, key="k2", fingerprint="f", state="done", status=200, body=b"{}"
    )
    privacy.client_soft_delete(actor=admin_user, client=rosa, reason="Asked to be forgotten")
    tables = (
        "FootCheck",
        "FootCheckPhoto",
        "Programme",
        "ProgrammeItem",
        "CheckOff",
        "Trial",
        "TrialConsent",
    )
    models = [
        apps.get_model(app, name)
        for app, name in zip(
            ("footcheck", "footcheck", "selfcare", "selfcare", "selfcare", "trials", "trials"),
            tables,
            strict=True,
        )
    ]
    assert all(m.objects.exists() for m in models)
    with time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False):
        counts = privacy.client_erase(actor=admin_user, client=rosa)
    assert not any(m.objects.exists() for m in models)
    assert not IdempotencyRecord.objects.filter(user=portal_user).exists()
    assert counts["core.idempotencyrecord"] == 1
    # Another user's stored answer, long expired, is purged as the hourly job would.
    assert not IdempotencyRecord.objects.filter(pk=old_other.pk).exists()


def test_erasure_of_a_client_with_a_gift_card_or_membership_is_refused_by_field_not_a_crash(
    clinic, admin_user
):
    from nervecare.billing.models import GiftCard

    client = ClientFactory(clinic=clinic)
    other = ClientFactory(clinic=clinic)
    settings_for(clinic)
    card, invoice = gift_card_sell(actor=admin_user, client=other, amount=Decimal("20.00"))
    # A card whose sale is on another record (a data import, a merge): the card alone still protects the row.
    GiftCard.objects.filter(pk=card.pk).update(client=client)
    privacy.client_soft_delete(actor=admin_user, client=client, reason="Left")
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=7 * 366), tick=False),
        pytest.raises(FieldErrors) as caught,
    ):
        privacy.client_erase(actor=admin_user, client=client)
    assert "gift cards" in caught.value.errors["client"]


def test_the_clinic_export_holds_foot_check_photos_and_every_table_of_self_care_and_trials(rosa, admin_user):
    exported = {m._meta.label_lower for m, _ in exported_models()}
    assert {"selfcare.programmeitem", "selfcare.programmechange", "trials.trialconsent"} <= exported
    project = {
        m._meta.label_lower
        for m in apps.get_models()
        if m.__module__.startswith("nervecare") and ".historical" not in m._meta.label_lower
    }
    not_a_clinics = {"core.clinic", "core.storedfile", "core.storedfilechunk"}  # the clinic row: its own file
    assert project - exported == EXCLUDED | not_a_clinics

    spool, _name, counts = clinic_export_build(actor=admin_user)
    with zipfile.ZipFile(io.BytesIO(spool.read())) as zf:
        photos = [n for n in zf.namelist() if n.startswith("foot_check_photos/")]
        assert len(photos) == 1 and photos[0].endswith(".png")
        assert zf.read(photos[0]) == PNG
        items = json.loads(zf.read("json/selfcare.programmeitem.json"))
        consents = json.loads(zf.read("json/trials.trialconsent.json"))
    assert items[0]["item_code"] == "ankle_circles" and consents[0]["text"] == "I agree to the trial."
    assert counts["footcheck.footcheckphoto"] == 1 and "core.idempotencyrecord" not in counts
