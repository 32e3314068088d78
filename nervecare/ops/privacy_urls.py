from django.urls import path

from nervecare.ops import privacy_views as views

app_name = "privacy"
urlpatterns = [
    path("clients/deleted/", views.deleted_clients, name="deleted"),
    path("clients/<int:client_id>/delete/", views.client_delete, name="delete"),
    path("clients/<int:client_id>/restore/", views.client_restore, name="restore"),
    path("clients/<int:client_id>/erase/", views.client_erase, name="erase"),
    path("clients/<int:client_id>/export/", views.client_export, name="export"),
]

# "Download my data" lives in the portal's namespace and under /portal/ (nervecare/urls.py adds it there), so the
# portal itself does not import ops, the layer above it.
portal_urlpatterns = [
    path("my-data/", views.portal_export, name="my_data"),
]
