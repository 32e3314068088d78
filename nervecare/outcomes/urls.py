from django.urls import path

from nervecare.outcomes import views
from nervecare.outcomes.claims import views as claims_views

app_name = "outcomes"
urlpatterns = [
    path("clients/<int:client_id>/outcomes/", views.client_page, name="client"),
    path("clients/<int:client_id>/outcomes/decide/", views.client_decide, name="client_decide"),
    path("clients/<int:client_id>/outcomes.csv", views.client_csv, name="client_csv"),
    path("clients/<int:client_id>/outcomes/report.pdf", views.client_pdf, name="client_pdf"),
    path("clients/<int:client_id>/claims/", claims_views.client_claims_page, name="client_claims"),
    path("outcomes/", views.clinic_page, name="clinic"),
    path("outcomes/claims/", claims_views.clinic_claims_page, name="clinic_claims"),
    path("outcomes/export.csv", views.clinic_csv, name="clinic_csv"),
    path("outcomes/reports/", views.clinic_report_start, name="report_start"),
    path("outcomes/reports/<int:job_id>/", views.report_job, name="report_job"),
    path("outcomes/reports/<int:job_id>/report.pdf", views.report_job_download, name="report_download"),
]
