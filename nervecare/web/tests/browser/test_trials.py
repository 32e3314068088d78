"""Single-client trials in Chromium (issue 21 point 3): the therapist proposes a trial, the client agrees in the
portal on a phone, and a completed trial shows its chart and result to both; axe-clean at both widths."""

import datetime

from nervecare.web.tests.browser.conftest import PHONE, log_in, shoot


def test_trial_journey(page, browser, live_server, clinic_setup):
    from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
    from nervecare.portal.tests.factories import ClientAccountFactory
    from nervecare.trials.models import Trial
    from nervecare.trials.services import client_today
    from nervecare.trials.tests.factories import b_days_of, diary, make_trial

    rosa = clinic_setup["client"]
    account = ClientAccountFactory(client=rosa, user__username="rosa")
    today = client_today(rosa)
    diary(rosa, today - datetime.timedelta(days=27), today)
    # A second client whose A-B-A-B trial ended three days ago.
    done = ClientFactory(clinic=clinic_setup["clinic"], first_name="Ines", last_name="Ward")
    ConditionFactory(client=done, phase="chronic")
    ines = ClientAccountFactory(client=done, user__username="ines")
    finished = make_trial(done, start=today - datetime.timedelta(days=7 * 16 + 3), index=60)
    diary(
        done, finished.start_date, finished.end_date, level=6, effect=-2, b_days=b_days_of(finished), seed=5
    )

    # The therapist proposes a trial for Rosa (the first request warms the live server up: on a loaded
    # machine that can take longer than a page's usual 30 s).
    page.goto("/accounts/login/", timeout=180_000)
    log_in(page, "alice")
    page.goto(f"/clients/{rosa.id}/trials/")
    page.get_by_label("What is compared").select_option("sessions_vs_pause")
    page.get_by_label("Symptom the client rates").select_option("pain")
    page.get_by_label("First day").fill((today + datetime.timedelta(days=2)).isoformat())
    shoot(page, "trial-propose")
    with page.expect_navigation():
        page.get_by_role("button", name="Propose the trial").click()
    trial = Trial.objects.get(client=rosa)
    assert "Waiting for the client to agree" in page.content()
    shoot(page, "trial-proposed")

    # Rosa agrees in the portal on her phone.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True, is_mobile=True)
    me = phone.new_page()
    log_in(me, account.user.username)
    me.goto("/portal/")
    me.get_by_role("link", name="Sessions vs a planned pause", exact=False).click()
    assert "I agree to the trial" in me.content()
    shoot(me, "portal-trial-consent")
    with me.expect_navigation():
        me.get_by_role("button", name="I agree to the trial").click()
    trial.refresh_from_db()
    assert trial.status == "active" and trial.consents.get().method == "electronic"
    assert "Stop my trial" in me.content()
    phone.close()

    # The completed trial: chart and result for the therapist ... (the first analysis imports statsmodels and
    # matplotlib and fits the model: slow on a loaded machine, hence the longer wait)
    page.goto(f"/clients/{done.id}/trials/{finished.id}/", timeout=180_000)
    assert page.locator("figure svg").count() == 1
    assert "Randomisation test p-value" in page.content()
    shoot(page, "trial-result")

    # ... and for the client, in plain words, on her phone.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True, is_mobile=True)
    her = phone.new_page()
    log_in(her, ines.user.username)
    her.goto(f"/portal/trials/{finished.id}/", timeout=180_000)
    assert "What your trial showed" in her.content() and her.locator("figure svg").count() == 1
    assert "You knew which weeks were which" in her.content()
    shoot(her, "portal-trial-result")
    phone.close()
