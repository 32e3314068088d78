"""The claims ledger in Chromium (issue 21): a therapist sees it for a client and for the clinic, the client
fills in the diary's new questions and sees the plain version in the portal; axe-core clean at desktop and
phone widths."""

import datetime
import re

from django.utils import timezone

from nervecare.web.tests.browser.conftest import PHONE, log_in, shoot


def test_therapist_and_client_see_the_claims_ledger(page, browser, live_server, clinic_setup):
    from nervecare.clients.models import Condition
    from nervecare.portal.models import DiaryEntry
    from nervecare.portal.tests.factories import ClientAccountFactory
    from nervecare.screening.models import InstrumentResponse
    from nervecare.screening.services import response_create
    from nervecare.visits.physical import physical_measure_record
    from nervecare.visits.services import note_save, note_sign

    rosa, alice = clinic_setup["client"], clinic_setup["user"]
    Condition.objects.filter(client=rosa).update(cramps=6, pain=6)
    now = timezone.now()
    response_create(actor=alice, client=rosa, instrument="phq2", answers={"1": 2, "2": 2},
                    administered_at=now - datetime.timedelta(days=30))  # fmt: skip
    response_create(actor=alice, client=rosa, instrument="phq2", answers={"1": 1, "2": 0},
                    administered_at=now - datetime.timedelta(hours=2), context="visit")  # fmt: skip
    note = note_save(actor=alice, appointment=clinic_setup["past"], data={
        "modality": "swedish", "pressure": "light", "minutes": 60,
        "areas_treated": [{"region": "foot", "side": "both"}], "pain_before": 5, "pain_after": 3,
        "soreness_after": 1, "stress_before": 7, "stress_after": 3})  # fmt: skip
    note_sign(actor=alice, note=note)
    physical_measure_record(actor=alice, client=rosa, data={"measurement": "tug", "context": "baseline",
                            "reading": 14.1, "measured_at": now - datetime.timedelta(days=30)})  # fmt: skip
    physical_measure_record(actor=alice, client=rosa, data={"measurement": "tug", "context": "reevaluation",
                            "reading": 12.6})  # fmt: skip
    assert InstrumentResponse.objects.filter(client=rosa, instrument="phq2").count() == 2

    log_in(page, "alice")
    page.goto(f"/clients/{rosa.id}/outcomes/")
    page.get_by_role("link", name="Claims ledger").click()
    page.wait_for_url(f"**/clients/{rosa.id}/claims/")
    assert page.get_by_role("heading", name="Massage lifts mood (endorphins)").is_visible()
    mood = page.locator('[data-claim="mood"]')
    # text_content: the words as written (the badges are drawn in capitals by CSS, which inner_text applies)
    assert "Data" in mood.text_content() and "PHQ-2" in mood.text_content()
    assert "not measurable with a massage clinic" in page.locator('[data-claim="immunity"]').text_content()
    assert "No data yet" in page.locator('[data-claim="migraine"]').text_content()
    shoot(page, "claims-client")
    page.goto("/outcomes/")
    page.get_by_role("link", name=re.compile("Claims ledger")).click()
    page.wait_for_url("**/outcomes/claims/")
    assert "Lopez et al. 2022" in page.locator('[data-claim="nerve_pain"]').text_content()
    shoot(page, "claims-clinic")

    # Rosa, on her phone: the diary asks about cramps (she has them) and her sleep; then the plain ledger.
    ClientAccountFactory(client=rosa, user__username="rosa")
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True, is_mobile=True)
    me = phone.new_page()
    log_in(me, "rosa")
    me.goto("/portal/diary/")
    assert me.get_by_label(re.compile("How many muscle cramps")).is_visible()
    assert me.get_by_text(re.compile("Did you have a headache")).count() == 0  # no migraine
    assert me.locator('input[name="sleep"]').count() == 0  # sleep is asked once: how well she slept
    for name, value in (("pain", "4"), ("numbness", "3"), ("tingling", "2"),
                        ("sleep_quality", "7"), ("cramp_worst", "5")):  # fmt: skip
        me.locator(f'input[name="{name}"][value="{value}"]').check()
    me.get_by_label(re.compile("How many muscle cramps")).fill("2")
    shoot(me, "portal-diary-claims")
    with me.expect_navigation():
        me.get_by_role("button", name="Save my diary").click()
    entry = DiaryEntry.objects.get(client=rosa)
    assert (entry.sleep_quality, entry.cramp_count, entry.cramp_worst) == (7, 2, 5)
    me.get_by_role("link", name=re.compile("What massage is said to do")).click()
    me.wait_for_url("**/portal/progress/claims/")
    text = me.locator("main").inner_text()
    assert "Better mood" in text and "4 when you started, 1 now" in text
    assert "cannot be measured in a massage clinic" in text and "95%" not in text
    shoot(me, "portal-claims")
    phone.close()
