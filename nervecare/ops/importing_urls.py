from django.urls import path

from nervecare.ops import clinic_export_views
from nervecare.ops import importing_views as views

app_name = "imports"
urlpatterns = [
    path("clinic/import/", views.imports, name="index"),
    path("clinic/import/<uuid:run_id>/", views.import_run, name="run"),
    path("clinic/import/<uuid:run_id>/import/", views.import_commit, name="commit"),
    path("clinic/import/template/<str:kind>.csv", views.import_template, name="template"),
    path("clinic/export/", clinic_export_views.clinic_export, name="export"),
]
