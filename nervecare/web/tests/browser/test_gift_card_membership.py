"""Gift cards and memberships in a real browser (issue 17): an admin makes a membership plan; the desk sells a
gift card to one client, and another client pays part of an invoice with its code (typed as a client reads it
out: lower case, no dashes); the desk signs that client up to the plan, and a visit checked out against the
membership's month draws one session; the client sees the membership in the portal. axe-core on every page,
at desktop and phone widths."""

import datetime
import re
from decimal import Decimal

from nervecare.web.tests.browser.conftest import log_in, shoot


def section(page, heading: str):
    """The card under a heading: the account page holds several forms with fields of the same name."""
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def test_gift_card_pays_part_of_an_invoice_and_a_membership_draws_a_session(
    page, browser, live_server, clinic_setup
):
    from django.utils import timezone

    from nervecare.billing.models import (
        Course,
        GiftCard,
        Invoice,
        Membership,
        MembershipPlan,
        Payment,
        Price,
    )
    from nervecare.clients.tests.factories import ClientFactory
    from nervecare.core.tests.factories import UserFactory
    from nervecare.portal.models import ClientAccount
    from nervecare.scheduling.models import Appointment
    from nervecare.scheduling.tests.factories import AppointmentFactory

    # A loaded machine answers a check-out slowly: wait longer than the default (never a sleep).
    page.context.set_default_timeout(60_000)
    page.context.set_default_navigation_timeout(120_000)
    clinic, rosa, past = clinic_setup["clinic"], clinic_setup["client"], clinic_setup["past"]
    service = past.service
    Price.objects.create(clinic=clinic, service=service, amount=Decimal("85.00"), currency=clinic.currency)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=2)
    earlier = AppointmentFactory(
        client=rosa,
        therapist=clinic_setup["therapist"],
        service=service,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        blocked_until=start + datetime.timedelta(hours=1),
        status=Appointment.Status.COMPLETED,
    )
    ben = ClientFactory(clinic=clinic, first_name="Ben", last_name="Ortiz", email="ben@example.org")
    UserFactory(username="oona", clinic=clinic, role="admin")
    UserFactory(username="frank", clinic=clinic, role="front_desk")
    portal_user = UserFactory(username="rosa", clinic=clinic, role="client", email="rosa@example.org")
    ClientAccount.objects.create(user=portal_user, client=rosa)

    # The admin makes the plan.
    log_in(page, "oona")
    page.goto("/billing/memberships/plans/")
    page.get_by_label("Plan name").fill("Monthly four")
    page.get_by_label("Service").select_option(label=service.name)
    page.get_by_label("Price a month (before tax)").fill("280.00")
    page.get_by_label("Sessions a month").fill("4")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the plan").click()
    assert "Monthly four" in page.locator("table").inner_text()
    shoot(page, "billing-membership-plans")
    page.context.clear_cookies()

    # The desk sells Ben a gift card of 50.00, paid in cash.
    log_in(page, "frank")
    page.goto(f"/billing/clients/{ben.id}/")
    gift = section(page, "Sell a gift card")
    gift.get_by_label("Value of the card").fill("50.00")
    gift.get_by_label("Name on the gift card").fill("Rosa")
    gift.get_by_label("Paid now by").select_option("cash")
    gift.get_by_label("Amount paid now").fill("50.00")
    with page.expect_navigation():
        gift.get_by_role("button", name="Sell the gift card").click()
    card = GiftCard.objects.get()
    assert page.url.endswith(f"/billing/gift-cards/{card.id}/")
    code = page.locator("h1 code").inner_text()
    assert code == card.code and "It can pay now." in page.content()
    shoot(page, "billing-gift-card-sold")

    # Rosa's visit yesterday is checked out (85.00, pay later); she pays 30.00 of it with the card.
    page.goto(f"/billing/clients/{rosa.id}/")
    checkout = section(page, "Check out")
    checkout.locator(f"input[name=appointment_ids][value='{past.id}']").check()
    with page.expect_navigation():
        checkout.get_by_role("button", name="Issue the invoice").click()
    invoice = Invoice.objects.get(client=rosa)
    page.get_by_label("Paid by").select_option("gift_card")
    page.get_by_label("Amount").fill("30.00")
    page.get_by_label("Reference / gift card code").fill(code.replace("-", "").lower())
    with page.expect_navigation():
        page.get_by_role("button", name="Take payment").click()
    assert "Payment recorded." in page.content()
    paid = Payment.objects.get(invoice=invoice, method="gift_card")
    assert paid.amount == Decimal("30.00")
    card.refresh_from_db()
    assert card.balance == Decimal("20.00")
    shoot(page, "billing-invoice-gift-card")
    # More than the balance is refused by field, and nothing is taken.
    page.get_by_label("Paid by").select_option("gift_card")
    page.get_by_label("Amount").fill("25.00")
    page.get_by_label("Reference / gift card code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Take payment").click()
    assert "No payment was recorded." in page.content()
    assert f"gift card …{card.last4} has 20.00" in page.locator(".errorlist").first.inner_text()
    card.refresh_from_db()
    assert card.balance == Decimal("20.00")
    page.goto(f"/billing/gift-cards/{card.id}/")
    assert "20.00" in page.locator("#h-balance + p").inner_text()
    assert invoice.display_number in page.locator("table").inner_text()

    # The desk signs Rosa up to the plan, paid by card; the earlier visit draws one of the month's sessions.
    page.goto(f"/billing/clients/{rosa.id}/")
    member = section(page, "Start a membership")
    plan = MembershipPlan.objects.get(name="Monthly four")
    member.get_by_label("Membership plan").select_option(str(plan.id))
    member.get_by_label("Paid now by").select_option("card")
    member.get_by_label("Amount paid now").fill("280.00")
    member.get_by_label("Card: last 4 digits").fill("4242")
    with page.expect_navigation():
        member.get_by_role("button", name="Start the membership").click()
    membership = Membership.objects.get(client=rosa)
    month = Course.objects.get(membership=membership)
    assert "/billing/invoices/" in page.url and month.remaining == 4
    page.goto(f"/billing/clients/{rosa.id}/")
    checkout = section(page, "Check out")
    checkout.locator(f"input[name=appointment_ids][value='{earlier.id}']").check()
    checkout.get_by_label("Draw from course").select_option(str(month.id))
    with page.expect_navigation():
        checkout.get_by_role("button", name="Issue the invoice").click()
    month.refresh_from_db()
    assert month.remaining == 3
    page.goto(f"/billing/clients/{rosa.id}/")
    balance = section(page, "Balance").inner_text()
    assert "Monthly four" in balance and re.search(r"\b3\s+of\s+4\s+left", balance)
    shoot(page, "billing-account-membership")
    page.context.clear_cookies()

    # Rosa sees her membership and what is left of the month in the portal.
    log_in(page, "rosa")
    page.goto("/portal/invoices/")
    text = page.locator("main").inner_text()
    assert "My membership" in text and "Monthly four" in text
    shoot(page, "portal-membership")
