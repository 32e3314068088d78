from django.urls import path

from nervecare.screening import views

app_name = "screening"
urlpatterns = [
    path("clients/<int:client_id>/screen/<slug:code>/", views.screening_new, name="screen"),
    path("clients/<int:client_id>/safety-check/", views.safety_check, name="safety_check"),
    path("clients/<int:client_id>/flags/<int:flag_id>/clearance/", views.flag_clearance, name="clearance"),
    path("instruments/", views.instrument_list, name="instruments"),
]
