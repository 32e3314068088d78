"""Issue 19, point 10: the clinic's outcome charts, in Chromium at desktop and phone widths: every word of
every chart drawn at 12 px or more, and none cut off by the edge of its chart."""

import datetime as dt

from nervecare.web.tests.browser.conftest import PHONE, log_in, shoot

MEASURE = """() => Array.from(document.querySelectorAll('svg.chart-svg')).flatMap(svg => {
    const box = svg.getBoundingClientRect();
    return Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim()).map(t => {
        const r = t.getBoundingClientRect();
        const m = t.getScreenCTM();  // user units to CSS px, rotation included
        const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
        return {text: t.textContent.trim(), px,
                inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5
                        && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5};
    });
})"""


def test_clinic_chart_text_is_readable_and_never_cut_off(page, clinic_setup):
    from nervecare.clients.tests.factories import ClientFactory, ConditionFactory
    from nervecare.outcomes.tests.conftest import course, now, plan_for, response

    therapist = clinic_setup["therapist"]
    for i, (cause, pains) in enumerate(
        [
            ("chemotherapy", [7, 6, 5, 4, 3, 3]),
            ("diabetes_t2", [6, 6, 5, 5, 5, 4]),
            ("chemotherapy", [5, 5, 4, 4, 4, 4]),
        ]
    ):
        client = ClientFactory(clinic=clinic_setup["clinic"], first_name=f"Client{i}")
        ConditionFactory(client=client, type="peripheral", cause=cause, pain=pains[0])
        start = now() - dt.timedelta(weeks=6, days=1)
        response(client, "nrs_pain", pains[0], start - dt.timedelta(days=2))
        course(client, therapist, pains, start=start, plan=plan_for(client, therapist))

    log_in(page, "alice")
    page.goto("/outcomes/")
    if page.locator("svg.chart-svg").count() == 0:
        page.get_by_role("button", name="Show").first.click()
    page.wait_for_selector("svg.chart-svg")
    for size in ({"width": 1280, "height": 900}, PHONE):
        page.set_viewport_size(size)
        texts = page.evaluate(MEASURE)
        assert len(texts) > 10
        small = [t for t in texts if t["px"] < 12 - 0.01]
        assert not small, f"chart text under 12 px at {size['width']} px: {small[:5]}"
        cut = [t["text"] for t in texts if not t["inside"]]
        assert not cut, f"chart labels cut off at {size['width']} px: {cut[:5]}"
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(page, "outcomes-clinic-charts")
