from django.urls import path

from nervecare.core.audit import views as audit_views

app_name = "audit"
urlpatterns = [
    path("", audit_views.events, name="events"),
    path("export.csv", audit_views.export_csv, name="export"),
]
