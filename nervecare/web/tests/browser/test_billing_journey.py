"""Money in a real browser (issue 17): the desk checks out yesterday's visit and takes payment; the client
finds the invoice in the portal and downloads it. axe-core on every page, at desktop and phone widths."""

from decimal import Decimal

from nervecare.web.tests.browser.conftest import log_in, shoot


def test_checkout_and_the_portal_invoice(page, browser, live_server, clinic_setup):
    from nervecare.billing.models import Invoice, Price
    from nervecare.core.tests.factories import UserFactory
    from nervecare.portal.models import ClientAccount

    clinic, rosa, past = clinic_setup["clinic"], clinic_setup["client"], clinic_setup["past"]
    Price.objects.create(
        clinic=clinic, service=past.service, amount=Decimal("85.00"), currency=clinic.currency
    )
    UserFactory(username="frank", clinic=clinic, role="front_desk")
    portal_user = UserFactory(username="rosa", clinic=clinic, role="client", email="rosa@example.org")
    ClientAccount.objects.create(user=portal_user, client=rosa)

    log_in(page, "frank")
    page.goto("/billing/")
    page.get_by_label("Name").fill("Diaz")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Rosa Diaz").click()
    page.wait_for_url(f"**/billing/clients/{rosa.id}/")
    shoot(page, "billing-account")
    page.locator(f"input[name=appointment_ids][value='{past.id}']").check()
    # the account page has four forms (check-out, course, gift card, membership), each label naming its own field
    checkout = page.get_by_role("region", name="Check out")
    checkout.get_by_label("Paid now by").select_option("card")
    checkout.get_by_label("Amount paid now").fill("50.00")
    checkout.get_by_label("Card: last 4 digits").fill("4242")
    with page.expect_navigation():
        page.get_by_role("button", name="Issue the invoice").click()
    invoice = Invoice.objects.get()
    assert page.url.endswith(f"/billing/invoices/{invoice.id}/")
    assert "INV-000001" in page.content() and "35.00" in page.content()  # 85.00 − 50.00 due
    shoot(page, "billing-invoice")
    page.get_by_label("Paid by").select_option("cash")
    page.get_by_label("Amount").fill("35.00")
    with page.expect_navigation():
        page.get_by_role("button", name="Take payment").click()
    assert "Payment recorded." in page.content()
    page.context.clear_cookies()

    log_in(page, "rosa")
    page.goto("/portal/invoices/")
    assert "INV-000001" in page.content()
    shoot(page, "portal-invoices")
    with page.expect_download() as download:
        page.get_by_role("link", name="Invoice INV-000001 (PDF)").click()
    assert download.value.suggested_filename == "INV-000001.pdf"
