from django.urls import path

from nervecare.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
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
    path("clients/<int:client_id>/screen/<slug:code>/", views.screening_new, name="screen"),
    path("clients/<int:client_id>/safety-check/", views.safety_check, name="safety_check"),
    path("clients/<int:client_id>/flags/<int:flag_id>/clearance/", views.flag_clearance, name="clearance"),
    path("clients/<int:client_id>/plans/new/", views.plan_propose, name="plan_propose"),
    path("clients/<int:client_id>/plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("clients/<int:client_id>/plans/<int:plan_id>/activate/", views.plan_activate, name="plan_activate"),
    path("clients/<int:client_id>/plans/<int:plan_id>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("instruments/", views.instrument_list, name="instruments"),
]
