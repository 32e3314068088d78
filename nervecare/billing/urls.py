from django.urls import path

from nervecare.billing.views import desk, giftcards, memberships

app_name = "billing"

urlpatterns = [
    path("billing/", desk.home, name="home"),
    path("billing/clients/<int:client_id>/", desk.client_account, name="client"),
    path("billing/clients/<int:client_id>/checkout/", desk.checkout, name="checkout"),
    path("billing/clients/<int:client_id>/courses/", desk.course_sell, name="course_sell"),
    path("billing/clients/<int:client_id>/gift-cards/", giftcards.gift_card_sell, name="gift_card_sell"),
    path(
        "billing/clients/<int:client_id>/memberships/", memberships.membership_start, name="membership_start"
    ),
    path("billing/clients/<int:client_id>/superbill.pdf", desk.superbill, name="superbill"),
    path("billing/visits/<int:appointment_id>/checkout/", desk.checkout_visit, name="checkout_visit"),
    path("billing/invoices/<int:invoice_id>/", desk.invoice_page, name="invoice"),
    path("billing/invoices/<int:invoice_id>/pdf/", desk.invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<int:invoice_id>/receipt/", desk.invoice_receipt, name="invoice_receipt"),
    path("billing/invoices/<int:invoice_id>/pay/", desk.invoice_pay, name="invoice_pay"),
    path("billing/invoices/<int:invoice_id>/void/", desk.invoice_void, name="invoice_void"),
    path("billing/invoices/<int:invoice_id>/credit/", desk.invoice_credit, name="invoice_credit"),
    path("billing/invoices/<int:invoice_id>/email/", desk.invoice_email, name="invoice_email"),
    path("billing/payments/<int:payment_id>/refund/", desk.payment_refund, name="payment_refund"),
    path("billing/fees/<int:fee_id>/waive/", desk.fee_waive, name="fee_waive"),
    path("billing/fees/<int:fee_id>/invoice/", desk.fee_invoice, name="fee_invoice"),
    path("billing/gift-cards/", giftcards.gift_card_list, name="gift_cards"),
    path("billing/gift-cards/<int:gift_card_id>/", giftcards.gift_card_page, name="gift_card"),
    path("billing/memberships/plans/", memberships.plan_list, name="membership_plans"),
    path(
        "billing/memberships/<int:membership_id>/cancel/",
        memberships.membership_cancel,
        name="membership_cancel",
    ),
    path("billing/prices/", desk.price_list, name="prices"),
    path("billing/books/", desk.books, name="books"),
    path("billing/books/journal.csv", desk.export_csv, name="export"),
    path("billing/takings/", desk.takings, name="takings"),
]
