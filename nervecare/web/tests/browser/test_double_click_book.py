"""A double-clicked "Book" books once (issue 22): the form's hidden one-time key makes the second submission
get the first one's answer (the redirect to the booking), not a second booking nor a "time is taken" error."""

import re

from nervecare.web.tests.browser.conftest import log_in
from nervecare.web.tests.browser.test_desk_day import desk_day  # noqa: F401 - the fixture


def test_double_click_on_book_books_once(page, live_server, desk_day, monkeypatch):  # noqa: F811
    import time

    from nervecare.core.models import IdempotencyRecord
    from nervecare.scheduling import services
    from nervecare.scheduling.models import Appointment

    # A busy server: the booking takes a second, so the second click lands while the first is answered (a
    # click as fast as Playwright's dblclick is coalesced by Chromium before any request leaves).
    book = services.appointment_book

    def slow_book(*args, **kwargs):
        time.sleep(1.0)
        return book(*args, **kwargs)

    monkeypatch.setattr(services, "appointment_book", slow_book)

    before = Appointment.objects.count()
    log_in(page, "frank")
    page.get_by_role("link", name=re.compile(r"^Book Alice, free")).first.click()
    page.wait_for_load_state()
    page.get_by_label("Client:", exact=True).select_option(label="Diaz, Rosa")
    page.get_by_label("Service:", exact=True).select_option(index=0)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    button = page.get_by_role("button", name="Book", exact=True)
    # Two clicks 300 ms apart, as a person double-clicks: the second while the first is being answered
    # (Playwright's own click would wait for the first navigation to finish).
    button.evaluate("b => { b.click(); setTimeout(() => b.click(), 300); }")
    for _ in range(50):  # the first navigation is aborted by the second (as in a real double-click)
        page.wait_for_timeout(200)
        if "/day/" in page.url:
            break
    page.wait_for_load_state()
    assert "/day/" in page.url  # the second click got the first one's answer: back to the day

    assert len(posts) == 2, posts  # the browser really sent the form twice
    assert Appointment.objects.count() == before + 1
    assert "the time is taken" not in page.content()
    assert IdempotencyRecord.objects.filter(user__username="frank", status=302).count() == 1
