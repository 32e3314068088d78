from django.urls import path

from nervecare.billing import views

app_name = "billing"

urlpatterns = [
    path("billing/", views.home, name="home"),
    path("billing/clients/<int:client_id>/", views.client_account, name="client"),
    path("billing/clients/<int:client_id>/checkout/", views.checkout, name="checkout"),
    path("billing/clients/<int:client_id>/courses/", views.course_sell, name="course_sell"),
    path("billing/clients/<int:client_id>/superbill.pdf", views.superbill, name="superbill"),
    path("billing/invoices/<int:invoice_id>/", views.invoice_page, name="invoice"),
    path("billing/invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<int:invoice_id>/receipt/", views.invoice_receipt, name="invoice_receipt"),
    path("billing/invoices/<int:invoice_id>/pay/", views.invoice_pay, name="invoice_pay"),
    path("billing/invoices/<int:invoice_id>/void/", views.invoice_void, name="invoice_void"),
    path("billing/invoices/<int:invoice_id>/credit/", views.invoice_credit, name="invoice_credit"),
    path("billing/invoices/<int:invoice_id>/email/", views.invoice_email, name="invoice_email"),
    path("billing/payments/<int:payment_id>/refund/", views.payment_refund, name="payment_refund"),
    path("billing/fees/<int:fee_id>/waive/", views.fee_waive, name="fee_waive"),
    path("billing/fees/<int:fee_id>/invoice/", views.fee_invoice, name="fee_invoice"),
    path("billing/prices/", views.price_list, name="prices"),
    path("billing/books/", views.books, name="books"),
    path("billing/books/journal.csv", views.export_csv, name="export"),
    path("billing/takings/", views.takings, name="takings"),
]
