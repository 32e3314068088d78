from django.urls import path

from nervecare.clients import privacy_views as views

app_name = "privacy"
urlpatterns = [
    path("clients/deleted/", views.deleted_clients, name="deleted"),
    path("clients/<int:client_id>/delete/", views.client_delete, name="delete"),
    path("clients/<int:client_id>/restore/", views.client_restore, name="restore"),
    path("clients/<int:client_id>/erase/", views.client_erase, name="erase"),
    path("clients/<int:client_id>/export/", views.client_export, name="export"),
]
