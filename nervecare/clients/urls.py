from django.urls import path

from nervecare.clients import views

app_name = "clients"
urlpatterns = [
    path("clients/", views.client_list, name="clients"),
    path("clients/new/", views.client_new, name="client_new"),
    path("clients/<int:client_id>/", views.client_detail, name="client"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:client_id>/history/", views.client_history, name="history"),
    path("clients/<int:client_id>/conditions/new/", views.condition_form, name="condition_new"),
    path(
        "clients/<int:client_id>/conditions/<int:condition_id>/", views.condition_form, name="condition_edit"
    ),
    path("clients/<int:client_id>/medical/", views.client_edit_medical, name="medical"),
    path("clients/<int:client_id>/body-map/", views.body_map_new, name="body_map"),
    path("clients/<int:client_id>/shares/", views.share_add, name="share_add"),
    path(
        "clients/<int:client_id>/shares/<int:therapist_id>/remove/", views.share_remove, name="share_remove"
    ),
]
