from django.urls import path

from nervecare.trials import views

app_name = "trials"
urlpatterns = [
    path("clients/<int:client_id>/trials/", views.client_trials, name="client"),
    path("clients/<int:client_id>/trials/<int:trial_id>/", views.detail, name="detail"),
    path("clients/<int:client_id>/trials/<int:trial_id>/end/", views.end, name="end"),
    path("clients/<int:client_id>/trials/<int:trial_id>/consent/", views.consent, name="consent"),
]
