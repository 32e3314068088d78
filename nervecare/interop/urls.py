"""The FHIR R4 interface, mounted at /fhir/R4/ (nervecare/urls.py)."""

from django.urls import path, re_path

from nervecare.interop.views import export, referral, resources

app_name = "interop"
urlpatterns = [
    path("", referral.base, name="base"),
    path("metadata", resources.metadata, name="metadata"),
    path("$export", export.export_kickoff, {"level": "system"}, name="export"),
    path("Patient/$export", export.export_kickoff, {"level": "patient"}, name="patient-export"),
    path("bulkstatus/<uuid:job_id>", export.export_status, name="export-status"),
    path("bulkfiles/<uuid:job_id>/<str:filename>", export.export_file, name="export-file"),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]+)$", resources.search, name="search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]+)/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$",
        resources.read,
        name="read",
    ),
    re_path(r"^(?P<path>.*)$", resources.unknown),
]
