"""The FHIR R4 interface, mounted at /fhir/R4/ (nervecare/urls.py)."""

from django.urls import path, re_path

from nervecare.interop import views

app_name = "interop"
urlpatterns = [
    path("", views.base, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("$export", views.export_kickoff, {"level": "system"}, name="export"),
    path("Patient/$export", views.export_kickoff, {"level": "patient"}, name="patient-export"),
    path("bulkstatus/<uuid:job_id>", views.export_status, name="export-status"),
    path("bulkfiles/<uuid:job_id>/<str:filename>", views.export_file, name="export-file"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", views.search, name="search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$", views.read, name="read"
    ),
    re_path(r"^(?P<path>.*)$", views.unknown),
]
