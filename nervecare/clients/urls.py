from django.urls import path

from nervecare.clients import views

app_name = "clients"
urlpatterns = [
    path("clients/<int:client_id>/shares/", views.share_add, name="share_add"),
    path(
        "clients/<int:client_id>/shares/<int:therapist_id>/remove/", views.share_remove, name="share_remove"
    ),
]
