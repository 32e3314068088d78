from django.urls import path

from nervecare.portal import billing_views, footcheck_views, selfcare_views, trial_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("consent/", views.consent, name="consent"),
    path("questionnaires/<slug:code>/", views.questionnaire, name="questionnaire"),
    path("diary/", views.diary, name="diary"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/<int:appointment_id>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments.ics", views.calendar_download, name="calendar"),
    path("waitlist/<int:entry_id>/", views.waitlist_offer, name="waitlist_offer"),
    path("progress/", views.progress, name="progress"),
    path("progress/report.pdf", views.report_download, name="report"),
    path("invoices/", billing_views.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/pdf/", billing_views.invoice_download, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/receipt/", billing_views.receipt_download, name="invoice_receipt"),
    path("superbill.pdf", billing_views.superbill_download, name="superbill"),
    path("foot-check/", footcheck_views.foot_check, name="foot_check"),
    path("foot-check/<int:check_id>/", footcheck_views.foot_check_result, name="foot_check_result"),
    path("foot-check/<int:check_id>/photo/", footcheck_views.foot_check_photo, name="foot_check_photo"),
    path("trials/<int:trial_id>/", trial_views.trial, name="trial"),
    path("trials/<int:trial_id>/consent/", trial_views.trial_consent, name="trial_consent"),
    path("trials/<int:trial_id>/decline/", trial_views.trial_decline, name="trial_decline"),
    path("trials/<int:trial_id>/withdraw/", trial_views.trial_withdraw, name="trial_withdraw"),
    path("self-care/", selfcare_views.today, name="selfcare"),
    path("self-care/tick/", selfcare_views.tick, name="selfcare_tick"),
    path("self-care/untick/", selfcare_views.untick, name="selfcare_untick"),
    path("self-care/reminder/", selfcare_views.reminder, name="selfcare_reminder"),
    path("self-care/week/", selfcare_views.week, name="selfcare_week"),
    path("book/", views.book, name="book"),
    path("book/confirm/", views.book_confirm, name="book_confirm"),
    path("about-you/", views.intake, name="intake"),
    path(
        "staff/clients/<int:client_id>/intakes/<int:intake_id>/review/",
        views.intake_review,
        name="intake_review",
    ),
    path("staff/clients/<int:client_id>/invite/", views.client_invite, name="invite"),
    path("welcome/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path("welcome/done/", views.password_set, name="password_set"),
]
