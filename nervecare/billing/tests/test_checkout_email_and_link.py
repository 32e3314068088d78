"""Check-out e-mails the client the receipt (paid in full) or the invoice, through the job queue, unless the
clinic turned it off; the day view's check-out link opens billing's check-out with that visit ticked; the
gift-card and membership pages."""

from decimal import Decimal

import pytest

from nervecare.billing.models import GiftCard, Invoice
from nervecare.billing.services.invoices import invoice_checkout
from nervecare.billing.tests.factories import settings_for, visit
from nervecare.conftest import login
from nervecare.core.models import AuditEvent

pytestmark = pytest.mark.django_db
D = Decimal


def test_check_out_emails_the_receipt_through_the_job_queue(
    shop, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_checkout(
            actor=shop.desk,
            client=shop.client,
            appointment_ids=[shop.visits[0].id],
            payments=[{"method": "cash", "amount": D("99.00")}],
        )
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.org"] and message.subject.startswith("Receipt INV-000001")
    name, content, mimetype = message.attachments[0]
    assert name == "INV-000001-receipt.pdf" and content.startswith(b"%PDF") and mimetype == "application/pdf"
    assert AuditEvent.objects.filter(
        object_type="billing.invoice", object_id=str(invoice.pk), action="export"
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[1].id])
    assert mailoutbox[1].subject.startswith("Invoice INV-000002")  # not paid yet: the invoice


def test_a_clinic_can_turn_the_check_out_email_off(shop, mailoutbox, django_capture_on_commit_callbacks):
    settings_for(shop.clinic, email_at_checkout=False)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    assert mailoutbox == []
    shop.client.email = ""
    shop.client.save()
    settings_for(shop.clinic, email_at_checkout=True)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[1].id])
    assert mailoutbox == []  # no address: the check-out still goes through


def test_the_day_views_check_out_link_opens_billing_with_the_visit_ticked(shop):
    desk = login(shop.desk)
    first = shop.visits[0]
    r = desk.get(f"/billing/visits/{first.id}/checkout/")
    assert r.status_code == 302 and r.url == f"/billing/clients/{shop.client.id}/?visit={first.id}#h-checkout"
    page = desk.get(r.url).content.decode()
    assert f'value="{first.id}" id="id_appointment_ids_' in page or f'value="{first.id}"' in page
    ticked = page.split(f'value="{first.id}"')[1].split(">")[0]
    assert "checked" in ticked
    other = page.split(f'value="{shop.visits[1].id}"')[1].split(">")[0]
    assert "checked" not in other
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[first.id])
    r = desk.get(f"/billing/visits/{first.id}/checkout/")
    assert r.url == f"/billing/invoices/{invoice.id}/"  # on an invoice already: that invoice
    assert login(shop.therapist_user).get(f"/billing/visits/{first.id}/checkout/").status_code == 403
    assert desk.get("/billing/visits/999999/checkout/").status_code == 404


def test_gift_card_pages_sell_look_up_and_show_the_balance(shop):
    desk = login(shop.desk)
    r = desk.post(
        f"/billing/clients/{shop.client.id}/gift-cards/",
        {"amount": "40.00", "recipient_name": "Bea", "pay_method": "cash", "pay_amount": "40.00"},
    )
    card = GiftCard.objects.get()
    assert r.status_code == 302 and r.url == f"/billing/gift-cards/{card.id}/"
    page = desk.get(r.url).content.decode()
    assert card.code in page and "40.00" in page and "It can pay now." in page
    r = desk.get("/billing/gift-cards/", {"code": card.code.lower()})
    assert r.status_code == 302 and r.url == f"/billing/gift-cards/{card.id}/"
    r = desk.get("/billing/gift-cards/", {"code": "AAAA-AAAA-AAAA"})
    assert r.status_code == 404 and "No gift card of this clinic has this code." in r.content.decode()
    r = desk.post(f"/billing/clients/{shop.client.id}/gift-cards/", {"amount": "0"})
    assert r.status_code == 422 and "The gift card was not sold." in r.content.decode()
    assert GiftCard.objects.count() == 1 and Invoice.objects.count() == 1
    # an invoice paid with it on the invoice page
    invoice = invoice_checkout(actor=shop.desk, client=shop.client, appointment_ids=[shop.visits[0].id])
    r = desk.post(
        f"/billing/invoices/{invoice.id}/pay/",
        {"method": "gift_card", "amount": "50.00", "reference": card.code},
    )
    assert r.status_code == 422 and "has 40.00 USD left" in r.content.decode()
    r = desk.post(
        f"/billing/invoices/{invoice.id}/pay/",
        {"method": "gift_card", "amount": "40.00", "reference": card.code},
    )
    assert r.status_code == 302
    card.refresh_from_db()
    assert card.balance == D("0.00")
    books = login(shop.admin).get("/billing/books/").content.decode()
    assert "Gift-card liabilities" in books


def test_membership_plan_page_is_the_admins_to_change(shop):
    admin, desk = login(shop.admin), login(shop.desk)
    r = admin.post(
        "/billing/memberships/plans/",
        {"name": "Gold", "service_id": shop.service.id, "price": "280.00", "sessions_per_period": "4"},
    )
    assert r.status_code == 302
    assert "Gold" in desk.get("/billing/memberships/plans/").content.decode()
    assert desk.post("/billing/memberships/plans/", {"name": "X"}).status_code == 403
    r = admin.post(
        "/billing/memberships/plans/",
        {"name": "Gold", "service_id": shop.service.id, "price": "1", "sessions_per_period": "4"},
    )
    assert r.status_code == 422 and "another plan has this name" in r.content.decode()
    from nervecare.billing.models import MembershipPlan

    plan = MembershipPlan.objects.get()
    r = desk.post(
        f"/billing/clients/{shop.client.id}/memberships/",
        {"membership_plan_id": plan.id, "pay_method": "card", "pay_amount": "308.00", "card_last4": "4242"},
    )
    assert r.status_code == 302 and r.url.startswith("/billing/invoices/")
    page = desk.get(f"/billing/clients/{shop.client.id}/").content.decode()
    assert "Gold" in page and "End after this month" in page


def test_the_day_view_links_a_checked_out_visit_to_billing(shop):
    from nervecare.scheduling.services.status import check_out

    today = visit(
        client=shop.client, therapist=shop.therapist, service=shop.service, days_ago=0, status="checked_in"
    )
    check_out(actor=shop.desk, appointment=today)
    link = f"/billing/clients/{shop.client.id}/?visit={today.id}"  # the desk's hook (scheduling/hooks.py)
    assert link in login(shop.desk).get("/day/").content.decode()
    assert link not in login(shop.therapist_user).get("/day/").content.decode()  # therapists handle no money
    page = login(shop.desk).get(link).content.decode()
    assert "checked" in page.split(f'value="{today.id}"')[1].split(">")[0]
